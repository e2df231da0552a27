"""The Faust application of the stream workers; agents attach to it (see ARCHITECTURE.md).

Only its configuration lives here. The broker runs with `auto.create.topics.enable=false`: the
platform's topics come from their contracts (`services.events.topics.ensure_topics`, run by
`msc migrate`), while Faust creates the topics it fully owns (the assignor's leader topic, any
changelog or repartition topic) itself through the admin API, which that broker setting does not
affect.
"""

from __future__ import annotations

import asyncio
import functools
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import faust
from aiokafka.client import AIOKafkaClient
from aiokafka.errors import KafkaConnectionError
from django.conf import settings

from infra.stack.kafka import broker_answers


def kafka_broker_urls(bootstrap: str) -> list[str]:
    """Faust broker URLs for a Kafka bootstrap list `host:port[,host:port...]`."""
    return [f"kafka://{server.strip()}" for server in bootstrap.split(",") if server.strip()]


def backoff_delays(max_delay_seconds: float) -> Iterator[float]:
    """Waits between attempts to reach the broker: 0.5 s, doubling up to `max_delay_seconds`."""
    delay = 0.5
    while True:
        yield delay
        delay = min(delay * 2, max_delay_seconds)


def wait_for_broker(bootstrap: str, *, max_delay_seconds: float = 10.0) -> None:
    """Block until the broker answers, retrying with backoff; a worker calls it before starting.

    Faust does not retry its first connection: when aiokafka cannot bootstrap, the worker logs
    the error and exits, and nothing starts it again. A worker started while Kafka is down or
    restarting (after a crash, with `docker compose up`, or during a broker restart) would
    stay down until someone noticed; waiting here makes it start once the broker is back.
    """
    delays = backoff_delays(max_delay_seconds)
    while not broker_answers(bootstrap):
        delay = next(delays)
        sys.stderr.write(f"stream worker: Kafka at {bootstrap} does not answer yet; "
                         f"retrying in {delay:.1f}s\n")
        sys.stderr.flush()
        time.sleep(delay)


BootstrapMethod = Callable[[AIOKafkaClient], Awaitable[None]]


def retrying_bootstrap(bootstrap: BootstrapMethod, *,
                       max_delay_seconds: float = 10.0) -> BootstrapMethod:
    """aiokafka's `AIOKafkaClient.bootstrap`, retried with backoff while no broker answers.

    `wait_for_broker` covers a broker that is down before the worker starts, but not one that
    goes down while Faust is starting (a broker restart seconds after a worker restart): Faust's
    producer or consumer then fails to bootstrap and the worker exits (robinhood/faust#711).
    Installed by the worker (`install_bootstrap_retry`), it waits for the broker instead.
    """

    @functools.wraps(bootstrap)
    async def retrying(client: AIOKafkaClient) -> None:
        delays = backoff_delays(max_delay_seconds)
        while True:
            try:
                await bootstrap(client)
                return
            except KafkaConnectionError as exc:
                delay = next(delays)
                sys.stderr.write(f"stream worker: {exc}; retrying in {delay:.1f}s\n")
                sys.stderr.flush()
                await asyncio.sleep(delay)

    retrying.retries_bootstrap = True  # type: ignore[attr-defined]
    return retrying


def install_bootstrap_retry() -> None:
    """Make every aiokafka client of this process retry its bootstrap (see retrying_bootstrap)."""
    if not getattr(AIOKafkaClient.bootstrap, "retries_bootstrap", False):
        AIOKafkaClient.bootstrap = retrying_bootstrap(
            AIOKafkaClient.bootstrap)


def create_app(app_id: str, *, broker: str | None = None) -> faust.App:
    """A Faust app named `app_id` (also its consumer group) on `broker` (default: settings).

    Agents are added by the caller. The app stores nothing in Faust tables: aggregates live in
    ClickHouse, where redelivered events are deduplicated by id.
    """
    data_root = Path(tempfile.gettempdir()) / "msc-faust"
    data_root.mkdir(parents=True, exist_ok=True)  # faust creates only the last directory level
    return faust.App(
        app_id,
        broker=broker or kafka_broker_urls(settings.KAFKA["BOOTSTRAP_SERVERS"]),
        # Offsets are committed only after an agent has acknowledged the event, i.e. after its
        # ClickHouse insert; exactly_once has open data-loss and duplicate bugs upstream.
        processing_guarantee="at_least_once",
        store="memory://",
        # A new consumer group starts from the oldest retained event: missing the backlog would
        # leave ClickHouse short of PostgreSQL.
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        # Modules are imported explicitly by the entry point; scanning packages would import
        # Django apps before setup.
        autodiscover=False,
        # No HTTP server: workers of several apps (and parallel test workers) on one host would
        # otherwise all claim port 6066. Beware: `faust worker` overrides this with its own
        # `--with-web/--without-web` flag (default: with), so the command line must say
        # `--without-web`. Should someone enable it, it listens on loopback, not 0.0.0.0.
        web_enabled=False,
        web_bind="127.0.0.1",
        # Faust makes a data directory even for the memory store, by default in the current
        # directory, which would litter the work tree; nothing in it needs to survive a restart.
        datadir=str(data_root / "{conf.name}-data"),
    )
