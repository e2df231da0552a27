"""`msc bench soak`: a long steady load, watching for leaks and growing lag.

Visits are posted open-loop over HTTP at `--share` (default 70%) of the intake capacity measured
by `msc bench intake` (`--capacity`, visits/s; about 80 on the 2-core development machine) for
`--minutes` (default 60), on three tenants with real tokens. Every minute it prints the resident
memory of every process of the platform (API master and workers, relay, stream worker,
scheduler, PostgreSQL, Kafka, ClickHouse, Keycloak), the outbox backlog, the stream worker's
consumer lag and how fresh ClickHouse is; at the end the drift of each from the first minute to
the last. Loopback only; it stops by itself. Not part of CI (it takes an hour by default).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from benchmarks.common import json_line
from benchmarks.intake_load import TENANTS, _ensure_platform, _open_loop, _prepare_tenant
from infra.stack.config import load_config

COMPONENTS = ("postgres", "kafka", "clickhouse", "keycloak")


@dataclass
class Minute:
    minute: int
    sent: int
    ok: int
    p99_ms: float
    memory_mb: dict[str, float]
    outbox_backlog: int | None
    consumer_lag: int | None
    freshness_s: float | None


@dataclass
class Soak:
    minutes: list[Minute] = field(default_factory=list)


def _rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (the API's gunicorn workers)."""
    total = 0.0
    for one in (pid, *_children(pid)):
        try:
            for line in Path(f"/proc/{one}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            continue
    return round(total, 1)


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _memory() -> dict[str, float]:
    from infra.stack.manager import component_named
    from services.daemons import platform_pids

    pids = {name: pid for name, pid in platform_pids().items() if pid is not None}
    for name in COMPONENTS:
        pid = component_named(name).recorded_pid()
        if pid is not None:
            pids[name] = pid
    return {name: _rss_mb(pid) for name, pid in sorted(pids.items())}


def _pipeline() -> tuple[int | None, int | None, float | None]:
    from services.metrics import collect

    pipeline = collect()
    return (pipeline.outbox_backlog, pipeline.consumer_lag_total,
            pipeline.last_ingest_age_seconds)


async def _soak(rate: float, minutes: int) -> Soak:
    cfg = load_config()
    api = f"http://{cfg.host}:{cfg.api_port}/api/v1"
    soak = Soak()
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        tenants = [await _prepare_tenant(session, api, code) for code in TENANTS]
        for minute in range(1, minutes + 1):
            if minute % 4 == 0:  # tokens live 5 minutes
                tenants = [await _prepare_tenant(session, api, t.code) for t in tenants]
            phase = await _open_loop(session, api, tenants, f"minute {minute}", rate, 60.0)
            latencies = sorted(phase.latencies_ms)
            p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))] \
                if latencies else float("nan")
            backlog, lag, freshness = await asyncio.to_thread(_pipeline)
            row = Minute(minute, phase.planned, len(latencies), round(p99, 1),
                         await asyncio.to_thread(_memory), backlog, lag,
                         None if freshness is None else round(freshness, 1))
            soak.minutes.append(row)
            memory = " ".join(f"{name} {mb:.0f}" for name, mb in row.memory_mb.items())
            print(f"minute {minute:3d}: {row.ok}/{row.sent} ok, p99 {row.p99_ms} ms; "  # noqa: T201
                  f"outbox {backlog}, lag {lag}, fresh {row.freshness_s} s; MB: {memory}",
                  flush=True)
    return soak


def _drift(soak: Soak) -> dict[str, float]:
    first, last = soak.minutes[0], soak.minutes[-1]
    drift = {f"memory_{name}_mb": round(last.memory_mb.get(name, 0.0) - mb, 1)
             for name, mb in first.memory_mb.items()}
    drift["consumer_lag"] = float((last.consumer_lag or 0) - (first.consumer_lag or 0))
    drift["outbox_backlog"] = float((last.outbox_backlog or 0) - (first.outbox_backlog or 0))
    return drift


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="msc bench soak", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--capacity", type=float, default=80.0,
                        help="measured intake capacity, visits/s (msc bench intake)")
    parser.add_argument("--share", type=float, default=0.7, help="share of the capacity")
    parser.add_argument("--minutes", type=int, default=60)
    parser.add_argument("--workers", type=int, default=None, help="API workers")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.minutes < 1 or not 0 < args.share <= 1:
        parser.error("--minutes must be at least 1 and --share in (0, 1]")
    _ensure_platform(args.workers)  # also sets Django up
    from services.daemons import start_worker

    for name in ("stream", "scheduler"):
        start_worker(name)
    rate = args.capacity * args.share
    print(f"soak: {rate:.0f} visits/s for {args.minutes} min")  # noqa: T201
    started = time.monotonic()
    soak = asyncio.run(_soak(rate, args.minutes))
    drift = _drift(soak)
    print("drift, last minute minus first:")  # noqa: T201
    for name, value in drift.items():
        print(f"  {name}: {value:+}")  # noqa: T201
    if args.json:
        print(json_line({"rate_per_s": rate, "minutes": args.minutes,  # noqa: T201
                          "seconds": round(time.monotonic() - started, 1), "drift": drift,
                          "minutes_detail": [m.__dict__ for m in soak.minutes]}))
    return 0
