"""`msc bench freshness`: from the API's 201 for a visit to the visit counted in /api/v1/stats/.

Visits are posted open-loop at `--rate` per second for `--seconds` (one tenant, a day of their
own), one POST each or, with `--batch N`, N at a time through `POST /sync` (each accepted when its
batch is answered: this machine's API takes about 100 single POSTs a second, so a rate like 300/s
reaches the pipeline only in batches). Meanwhile the tenant's statistics are polled every 100 ms;
the n-th accepted visit is visible when the count first reaches n. The whole path is measured:
outbox, relay, Kafka, the stream worker's batch, ClickHouse, the statistics query.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from typing import Any

import aiohttp

from benchmarks.common import json_line, percentile
from benchmarks.intake_load import Tenant, _auth, _ensure_platform, _prepare_tenant, _token
from infra.stack.config import load_config

TENANT = "ME"
DAY = "2025-11-15"
POLL_SECONDS = 0.1


async def _count(session: aiohttp.ClientSession, api: str, tenant: Tenant) -> int:
    query = f"from={DAY[:8]}01&to={DAY[:8]}30"
    async with session.get(f"{api}/stats/summary?{query}", headers=_auth(tenant.token)) as answer:
        body: dict[str, Any] = await answer.json()
    return int(body["visits"] or 0)


async def _run(args: argparse.Namespace) -> dict[str, Any]:
    cfg = load_config()
    api = f"http://{cfg.host}:{cfg.api_port}/api/v1"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        tenant = await _prepare_tenant(session, api, TENANT)
        tenant.token = await _token(session, f"counsellor.{TENANT.lower()}")
        baseline = await _count(session, api, tenant)
        accepted: list[float] = []
        seen: list[tuple[float, int]] = []
        done = asyncio.Event()

        async def poll() -> None:
            while not done.is_set() or (seen and seen[-1][1] < baseline + len(accepted)):
                seen.append((time.monotonic(), await _count(session, api, tenant)))
                if done.is_set() and time.monotonic() > finished + 60:
                    return
                await asyncio.sleep(POLL_SECONDS)

        def visit(n: int) -> dict[str, Any]:
            return {"client_id": tenant.client_ids[n % len(tenant.client_ids)],
                    "centre_id": tenant.centre_id, "occurred_at": f"{DAY}T10:00:00Z",
                    "channel": "phone", "services": ["information"]}

        async def post(n: int) -> None:
            if args.batch == 1:
                async with session.post(f"{api}/visits", json=visit(n),
                                        headers=_auth(tenant.token)) as answer:
                    if answer.status == 201:
                        accepted.append(time.monotonic())
                return
            items = [{"kind": "visit", "key": str(uuid.uuid4()), "data": visit(n + i)}
                     for i in range(args.batch)]
            async with session.post(f"{api}/sync", json={"items": items},
                                    headers=_auth(tenant.token)) as answer:
                body = await answer.json() if answer.status == 200 else {}
            # Each created visit was accepted when the batch's answer came.
            accepted.extend([time.monotonic()] * body.get("summary", {}).get("created", 0))

        finished = float("inf")
        poller = asyncio.create_task(poll())
        start = time.monotonic()
        posts = []
        requests_per_second = args.rate / args.batch
        for n in range(int(requests_per_second * args.seconds)):
            await asyncio.sleep(max(0.0, start + n / requests_per_second - time.monotonic()))
            posts.append(asyncio.create_task(post(n * args.batch)))
        await asyncio.gather(*posts)
        finished = time.monotonic()
        done.set()
        await poller
    accepted.sort()
    lags = []
    for index, at in enumerate(accepted):
        wanted = baseline + index + 1
        visible = next((t for t, count in seen if t >= at and count >= wanted), None)
        if visible is not None:
            lags.append(visible - at)
    return {"p50_s": round(percentile(lags, 0.5), 3), "p99_s": round(percentile(lags, 0.99), 3),
            "visits": len(accepted), "seen": len(lags), "rate": args.rate, "batch": args.batch}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="msc bench freshness", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=300.0, help="visits per second")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--batch", type=int, default=30,
                        help="visits per request (default 30): 1 posts each visit (201), more "
                             "send them through POST /sync, each accepted when its batch is "
                             "answered (how a rate above single POSTs' capacity reaches the "
                             "pipeline)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.batch < 1 or args.batch > 1000 or args.rate <= 0:
        parser.error("need --rate > 0 and --batch from 1 to 1000 (the sync endpoint's limit)")
    _ensure_platform(None)
    from services.daemons import start_worker

    start_worker("stream")
    figures = asyncio.run(_run(args))
    through = "single POSTs" if args.batch == 1 else f"batches of {args.batch} (POST /sync)"
    print(f"freshness at {args.rate:g} visits/s in {through}: {figures['seen']} of "
          f"{figures['visits']} "
          f"visits seen; p50 {figures['p50_s']} s, p99 {figures['p99_s']} s from accepted to "
          "counted in /api/v1/stats/")
    if args.json:
        print(json_line(figures, sort_keys=True))
    return 0
