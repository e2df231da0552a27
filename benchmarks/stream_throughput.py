"""`msc bench stream`: visit events per second through one Faust worker into ClickHouse, next to a
bare kafka-python consumer reading the same topic (the ceiling for a Python consumer here).

Works on topics and a ClickHouse database of its own (a `bench-<id>.` prefix), removed afterwards,
so the platform's data is never touched. The worker's rate is counted from its first row in
ClickHouse to its last, so its start-up and group join are left out.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from benchmarks.common import json_line
from infra.stack.manager import stack_up


def _settings(prefix: str, database: str) -> None:
    os.environ["MSC_KAFKA_TOPIC_PREFIX"] = prefix
    os.environ["MSC_CLICKHOUSE_DATABASE"] = database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "services.settings.dev")
    import django

    django.setup()


def _messages(count: int) -> list[tuple[bytes, bytes]]:
    from intake.events import VISIT_RECORDED
    from services.events.envelope import envelope_to_json, new_envelope
    from services.events.registry import example_messages

    [example] = example_messages(VISIT_RECORDED)
    data: dict[str, Any] = json.loads(example)["data"]
    made = []
    for n in range(count):
        visit_id = str(uuid.uuid4())
        tenant = ("AL", "BA", "HR", "XK", "MK", "ME", "RS")[n % 7]
        data["visit_id"] = visit_id
        made.append((f"{tenant}:{visit_id}".encode(), envelope_to_json(new_envelope(
            event_type=VISIT_RECORDED, tenant_id=tenant, subject=visit_id,
            aggregate_id=visit_id, aggregate_version=1, data=data))))
    return made


def _produce(topic: str, messages: list[tuple[bytes, bytes]]) -> float:
    from kafka import KafkaProducer

    from services.conf import kafka_settings

    producer = KafkaProducer(bootstrap_servers=kafka_settings()["BOOTSTRAP_SERVERS"], acks="all",
                             linger_ms=20, batch_size=512 * 1024)
    started = time.monotonic()
    for key, value in messages:
        producer.send(topic, key=key, value=value)
    producer.flush()
    producer.close()
    return time.monotonic() - started


def _bare_consumer(topic: str, count: int) -> float:
    """Events per second of a plain kafka-python consumer reading the topic (no processing)."""
    from kafka import KafkaConsumer

    from services.conf import kafka_settings

    consumer = KafkaConsumer(topic, bootstrap_servers=kafka_settings()["BOOTSTRAP_SERVERS"],
                             group_id=None, auto_offset_reset="earliest",
                             enable_auto_commit=False, max_poll_records=5000,
                             fetch_max_bytes=64 * 1024 * 1024)
    seen = 0
    started: float | None = None
    try:
        while seen < count:
            for records in consumer.poll(timeout_ms=1000).values():
                if started is None:
                    started = time.monotonic()
                seen += len(records)
    finally:
        consumer.close()
    assert started is not None
    return count / (time.monotonic() - started)


def _worker_rate(database: str, count: int, log_path: Path, deadline_s: float) -> float:
    from analytics_stream.clickhouse.client import clickhouse_client

    env = dict(os.environ)
    with log_path.open("w") as log:
        worker = subprocess.Popen([sys.executable, "-m", "services.cli", "stream",
                                   "--log-level", "warn"], env=env, stdout=log,
                                  stderr=subprocess.STDOUT)
    client = clickhouse_client(database)
    first: float | None = None
    first_rows = 0
    deadline = time.monotonic() + deadline_s
    try:
        while True:
            [(rows,)] = client.execute("SELECT count() FROM visit_facts")
            now = time.monotonic()
            if rows and first is None:
                first, first_rows = now, rows
            if rows >= count:
                assert first is not None
                rate: float = (rows - first_rows) / max(now - first, 1e-9)
                return rate
            if now > deadline or worker.poll() is not None:
                raise SystemExit(f"the worker wrote {rows} of {count} rows; see {log_path}")
            time.sleep(0.05)
    finally:
        worker.terminate()
        worker.wait(60)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="msc bench stream", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    stack_up()
    run = uuid.uuid4().hex[:8]
    prefix, database = f"bench-{run}.", f"msc_bench_{run}"
    _settings(prefix, database)
    from analytics_stream.clickhouse.migrate import apply_migrations, drop_database
    from services.conf import kafka_settings
    from services.events.topics import VISITS, delete_topics, ensure_topics, topic_name

    ensure_topics(kafka_settings()["BOOTSTRAP_SERVERS"], prefix)
    apply_migrations(database)
    topic = topic_name(VISITS.name, prefix)
    log_path = Path(tempfile.gettempdir()) / f"msc-bench-stream-{run}.log"
    try:
        messages = _messages(args.events)
        produced = _produce(topic, messages)
        print(f"produced {args.events} visit events in {produced:.1f}s")
        bare = _bare_consumer(topic, args.events)
        print(f"bare kafka-python consumer: {bare:,.0f} events/s")
        worker = _worker_rate(database, args.events, log_path, deadline_s=1800)
        print(f"faust worker into ClickHouse: {worker:,.0f} events/s "
              f"({100 * worker / bare:.0f} % of the bare consumer)")
    finally:
        drop_database(database)
        delete_topics(kafka_settings()["BOOTSTRAP_SERVERS"], prefix)
        shutil.rmtree(Path(tempfile.gettempdir()) / "msc-faust" / f"{prefix}msc-stream-data",
                      ignore_errors=True)
    if args.json:
        print(json_line({"worker_events_per_s": round(worker), "bare_consumer_events_per_s":
                          round(bare), "events": args.events}))
    return 0

