"""`msc bench intake`: open-loop load of authenticated visit POSTs against the running platform.

Open loop: request i is sent at start + i / rate whatever happened to the earlier ones, and its
latency is counted from that planned moment, so a slow server cannot hide its queue (no
coordinated omission). Phases, one after the other, on three tenants:

1. latency: `--latency-rate` visits/s (300) for `--latency-seconds`: p50/p95/p99, and the relay's
   publish lag (outbox row written -> acknowledged by Kafka) of the events of that phase;
2. sustained: `--rate` visits/s (500) for `--seconds` (60): visits completed per second;
3. bulk: `--bulk-batches` batches of 1,000 visits through `POST /sync`, two at a time.

It starts what is missing first (stack, migrations, API, relay, as `msc up` does) and talks to
the API over loopback with real Keycloak tokens. Figures are printed, never asserted; with
`--json` the last line is one JSON object (`sustained_visits_per_s`, `p99_ms_at_300`,
`bulk_visits_per_s`, `relay_lag_p99_ms`, `errors`, and more).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from benchmarks.common import DEV_CLIENT, DEV_PASSWORD, json_line, percentile
from infra.stack.config import load_config
from services.cli import _django_setup

TENANTS = ("AL", "BA", "XK")
CLIENTS_PER_TENANT = 100
BULK_SIZE = 1000
MAX_IN_FLIGHT = 4000
# Outside any quarter the demo data covers, so benchmark visits never mix into its figures.
BENCH_DAY = "2025-12-01T10:00:00Z"


@dataclass
class Phase:
    """What one phase of load saw."""

    name: str
    planned: int
    latencies_ms: list[float] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)
    started: float = 0.0
    finished: float = 0.0

    @property
    def ok(self) -> int:
        return len(self.latencies_ms)

    @property
    def errors(self) -> int:
        return sum(self.failures.values())

    def percentile(self, q: float) -> float:
        return percentile(self.latencies_ms, q)

    def throughput(self) -> float:
        return self.ok / max(self.finished - self.started, 1e-9)

    def describe(self) -> str:
        return (f"{self.name}: {self.ok}/{self.planned} ok in {self.finished - self.started:.1f}s "
                f"= {self.throughput():.0f}/s; p50 {self.percentile(0.50):.1f} ms, "
                f"p95 {self.percentile(0.95):.1f} ms, p99 {self.percentile(0.99):.1f} ms, "
                f"max {max(self.latencies_ms, default=float('nan')):.1f} ms; "
                f"errors {self.errors} {dict(self.failures) or ''}")


@dataclass
class Tenant:
    code: str
    token: str
    centre_id: str
    client_ids: list[str]


def _ensure_platform(workers: int | None) -> None:
    """Whatever of `msc up` is not running yet: stack, schemas, API, relay."""
    from infra.stack.manager import stack_up
    from services.daemons import start_worker
    from services.migrate import migrate_all
    from services.serve import serve

    stack_up()
    _django_setup()
    migrate_all(verbose=False)
    if serve(workers=workers, daemon=True) != 0:
        raise SystemExit("the API did not start")
    start_worker("relay")


async def _token(session: aiohttp.ClientSession, username: str) -> str:
    url = f"{load_config().keycloak_url}/realms/msc/protocol/openid-connect/token"
    form = {"grant_type": "password", "client_id": DEV_CLIENT, "username": username,
            "password": DEV_PASSWORD}
    async with session.post(url, data=form) as response:
        response.raise_for_status()
        return str((await response.json())["access_token"])


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _prepare_tenant(session: aiohttp.ClientSession, api: str, code: str) -> Tenant:
    """A benchmark centre and clients, created once and found again on later runs."""
    manager = await _token(session, f"manager.{code.lower()}")
    counsellor = await _token(session, f"counsellor.{code.lower()}")
    name = "Benchmark centre"
    async with session.get(f"{api}/centres", headers=_auth(manager)) as response:
        found = [c for c in (await response.json())["results"] if c["name"] == name]
    if found:
        centre_id = str(found[0]["id"])
    else:
        body = {"name": name, "municipality_code": f"{code}-BENCH", "kind": "msc"}
        async with session.post(f"{api}/centres", json=body, headers=_auth(manager)) as response:
            if response.status != 201:
                raise SystemExit(f"creating the {code} centre: {await response.text()}")
            centre_id = str((await response.json())["id"])
    items = [{"kind": "client", "key": f"bench-{code}-client-{n}", "data": {
        "given_name": f"Bench{n}", "family_name": f"Client{code}", "sex": random.choice(
            ["female", "male"]), "birth_year": 1960 + n % 40, "citizenship": code,
        "category": "national", "municipality_code": f"{code}-1", "urban": n % 3 != 0,
        "education_level": "isced3", "employment_status": "unemployed",
        "migration_intention": "labour", "confirm_new": True,
        "consent": {"given_at": "2026-01-01T00:00:00Z", "scope": "service"}}}
        for n in range(CLIENTS_PER_TENANT)]
    async with session.post(f"{api}/sync", json={"items": items},
                            headers=_auth(counsellor)) as response:
        results = (await response.json())["results"]
    client_ids = [str(r["id"]) for r in results if r["id"]]
    if len(client_ids) != CLIENTS_PER_TENANT:
        raise SystemExit(f"registering {code} clients: {results[:3]}")
    return Tenant(code, counsellor, centre_id, client_ids)


def _visit_body(tenant: Tenant) -> dict[str, Any]:
    return {"client_id": random.choice(tenant.client_ids), "centre_id": tenant.centre_id,
            "occurred_at": BENCH_DAY, "channel": "in_person",
            "services": random.choice([["information"], ["information", "counselling"],
                                       ["counselling"], ["referral"]]),
            "topics": ["labour_market"], "destinations_discussed": ["DE"]}


async def _post_visit(session: aiohttp.ClientSession, api: str, tenant: Tenant,
                      planned_at: float, phase: Phase) -> None:
    headers = {**_auth(tenant.token), "Idempotency-Key": str(uuid.uuid4())}
    try:
        async with session.post(f"{api}/visits", json=_visit_body(tenant),
                                headers=headers) as response:
            await response.read()
            if response.status == 201:
                phase.latencies_ms.append((time.monotonic() - planned_at) * 1000)
            else:
                phase.failures[f"http {response.status}"] += 1
    except (TimeoutError, aiohttp.ClientError) as exc:
        phase.failures[type(exc).__name__] += 1


async def _open_loop(session: aiohttp.ClientSession, api: str, tenants: list[Tenant],
                     name: str, rate: float, seconds: float) -> Phase:
    phase = Phase(name, planned=int(rate * seconds))
    tasks: set[asyncio.Task[None]] = set()
    phase.started = start = time.monotonic()
    for i in range(phase.planned):
        planned_at = start + i / rate
        delay = planned_at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        if len(tasks) >= MAX_IN_FLIGHT:
            phase.failures["client queue full"] += 1
            continue
        task = asyncio.create_task(
            _post_visit(session, api, tenants[i % len(tenants)], planned_at, phase))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.wait(tasks)
    phase.finished = time.monotonic()
    return phase


async def _bulk(session: aiohttp.ClientSession, api: str, tenants: list[Tenant],
                batches: int) -> Phase:
    phase = Phase("bulk sync", planned=batches * BULK_SIZE)

    async def send(n: int) -> None:
        tenant = tenants[n % len(tenants)]
        items = [{"kind": "visit", "key": str(uuid.uuid4()), "data": _visit_body(tenant)}
                 for _ in range(BULK_SIZE)]
        sent = time.monotonic()
        async with session.post(f"{api}/sync", json={"items": items},
                                headers=_auth(tenant.token)) as response:
            body = await response.json() if response.status == 200 else {}
        created = body.get("summary", {}).get("created", 0)
        phase.latencies_ms.extend([(time.monotonic() - sent) * 1000] * created)
        if created != BULK_SIZE:
            phase.failures[f"not created (http {response.status})"] += BULK_SIZE - created

    phase.started = time.monotonic()
    queue = list(range(batches))
    while queue:
        await asyncio.gather(*(send(n) for n in queue[:2]))
        queue = queue[2:]
    phase.finished = time.monotonic()
    return phase


def _relay_lag_ms(since: float, until: float) -> tuple[float, float, int]:
    """p50 and p99 of (published - written) for outbox rows written in the window, and count.

    Waits (up to a minute) for the relay to drain what the window wrote.
    """
    from django.db import connections

    from services.outbox.relay import RELAY_ALIAS, outbox_backlog

    deadline = time.monotonic() + 60
    while outbox_backlog().size and time.monotonic() < deadline:
        time.sleep(0.5)
    wall_offset = time.time() - time.monotonic()
    with connections[RELAY_ALIAS].cursor() as cursor:
        cursor.execute(
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY lag),"
            " percentile_cont(0.99) WITHIN GROUP (ORDER BY lag), count(*) FROM ("
            "  SELECT extract(epoch FROM published_at - created_at) * 1000 AS lag"
            "  FROM outbox_outboxevent WHERE created_at BETWEEN to_timestamp(%s)"
            "  AND to_timestamp(%s) AND published_at IS NOT NULL) lags",
            [since + wall_offset, until + wall_offset])
        row = cursor.fetchone()
    assert row is not None
    return float(row[0] or "nan"), float(row[1] or "nan"), int(row[2])


async def _run(args: argparse.Namespace) -> dict[str, Any]:
    cfg = load_config()
    api = f"http://{cfg.host}:{cfg.api_port}/api/v1"
    connector = aiohttp.TCPConnector(limit=args.connections, force_close=False)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        tenants = [await _prepare_tenant(session, api, code) for code in TENANTS]
        print(f"tenants {', '.join(TENANTS)}: {CLIENTS_PER_TENANT} clients each; "
              f"{args.connections} connections")
        warm = await _open_loop(session, api, tenants, "warm-up", 50, 4)
        print(warm.describe())
        at_300 = await _open_loop(session, api, tenants, f"latency at {args.latency_rate}/s",
                                  args.latency_rate, args.latency_seconds)
        print(at_300.describe())
        lag_p50, lag_p99, lag_count = await asyncio.to_thread(
            _relay_lag_ms, at_300.started, at_300.finished)
        print(f"relay publish lag over {lag_count} events: p50 {lag_p50:.0f} ms, "
              f"p99 {lag_p99:.0f} ms")
        for tenant in tenants:  # fresh tokens: the realm's last five minutes
            tenant.token = await _token(session, f"counsellor.{tenant.code.lower()}")
        sustained = await _open_loop(session, api, tenants, f"sustained at {args.rate}/s",
                                     args.rate, args.seconds)
        print(sustained.describe())
        bulk = await _bulk(session, api, tenants, args.bulk_batches)
        print(bulk.describe())
    return {
        "sustained_visits_per_s": round(sustained.throughput(), 1),
        "sustained_offered_per_s": args.rate,
        "sustained_p99_ms": round(sustained.percentile(0.99), 1),
        # Named for the target (300/s); `latency_rate_per_s` says at what rate they were taken.
        "latency_rate_per_s": args.latency_rate,
        "p50_ms_at_300": round(at_300.percentile(0.50), 1),
        "p95_ms_at_300": round(at_300.percentile(0.95), 1),
        "p99_ms_at_300": round(at_300.percentile(0.99), 1),
        "bulk_visits_per_s": round(bulk.throughput(), 1),
        "relay_lag_p50_ms": round(lag_p50, 1),
        "relay_lag_p99_ms": round(lag_p99, 1),
        "errors": warm.errors + at_300.errors + sustained.errors + bulk.errors,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="msc bench intake", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=500, help="sustained phase, visits/s")
    parser.add_argument("--seconds", type=float, default=60, help="sustained phase length")
    parser.add_argument("--latency-rate", type=float, default=300)
    parser.add_argument("--latency-seconds", type=float, default=30)
    parser.add_argument("--bulk-batches", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=None, help="API workers if it starts one")
    parser.add_argument("--json", action="store_true", help="a JSON summary on the last line")
    args = parser.parse_args(argv)
    _ensure_platform(args.workers)
    figures = asyncio.run(_run(args))
    if args.json:
        print(json_line(figures, sort_keys=True))
    return 0 if figures["errors"] == 0 else 1
