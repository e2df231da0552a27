"""The streaming path's parts on the real broker and database: topics from their contracts, a
message from kafka-python through a faust agent in its own worker process, and ClickHouse rows."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic

from analytics_stream.clickhouse.client import clickhouse_client
from analytics_stream.clickhouse.sql.visits import VISIT_FACTS_TABLE, insert_visit_facts_sql
from analytics_stream.processors import Rows, process_message
from intake.events import VISIT_RECORDED
from services.conf import kafka_settings
from services.events.registry import example_messages
from services.events.topics import CONTRACTS, delete_topics, ensure_topics, topic_name
from tests.conftest import require_component
from tests.kafka_helpers import stop_process

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def admin() -> Iterator[KafkaAdminClient]:
    require_component("kafka")
    client = KafkaAdminClient(bootstrap_servers=kafka_settings()["BOOTSTRAP_SERVERS"])
    yield client
    client.close()
    delete_topics(kafka_settings()["BOOTSTRAP_SERVERS"], kafka_settings()["TOPIC_PREFIX"])


def test_ensure_topics_creates_every_contract_once(admin: KafkaAdminClient) -> None:
    prefix = kafka_settings()["TOPIC_PREFIX"]
    bootstrap = kafka_settings()["BOOTSTRAP_SERVERS"]
    created = ensure_topics(bootstrap, prefix)
    expected = sorted(topic_name(c.name, prefix) for c in CONTRACTS)
    assert sorted(created) == expected
    assert ensure_topics(bootstrap, prefix) == []
    described = {t["name"]: len(t["partitions"]) for t in admin.describe_topics(expected)}
    assert described == {topic_name(c.name, prefix): c.partitions for c in CONTRACTS}


def _wait_for_message(consumer: KafkaConsumer, wanted: bytes, deadline_s: float,
                      worker: subprocess.Popen[bytes]) -> bytes | None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline and worker.poll() is None:
        for records in consumer.poll(timeout_ms=1000).values():
            for record in records:
                if record.value == wanted:
                    return bytes(record.key)
    return None


def test_message_from_kafka_python_is_consumed_by_a_faust_agent(
    admin: KafkaAdminClient, tmp_path: Path,
) -> None:
    prefix = kafka_settings()["TOPIC_PREFIX"]
    bootstrap = kafka_settings()["BOOTSTRAP_SERVERS"]
    source, sink = f"{prefix}probe.in", f"{prefix}probe.out"
    admin.create_topics([NewTopic(source, 1, 1), NewTopic(sink, 1, 1)])
    env = {**os.environ, "MSC_PROBE_SOURCE_TOPIC": source, "MSC_PROBE_SINK_TOPIC": sink,
           "MSC_PROBE_APP_ID": f"{prefix}probe", "DJANGO_SETTINGS_MODULE":
           "services.settings.test"}
    log_path = tmp_path / "faust-worker.log"
    # A file, not a pipe: a pipe nobody reads blocks a chatty worker once its buffer is full.
    with log_path.open("w") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "faust", "-A", "tests.integration.faust_probe", "worker",
             "--without-web", "-l", "info"],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    consumer = KafkaConsumer(sink, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                             group_id=None, consumer_timeout_ms=1000)
    try:
        payload = f"visit {uuid.uuid4()}".encode()
        producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
        producer.send(source, key=b"AL:client-1", value=payload).get(timeout=30)
        producer.close()
        key = _wait_for_message(consumer, payload, deadline_s=120, worker=worker)
        assert key == b"AL:client-1", (
            "the faust agent did not forward the message in time; its log:\n"
            + log_path.read_text()[-4000:])
    finally:
        consumer.close()
        stop_process(worker, grace_seconds=30)
        shutil.rmtree(Path(tempfile.gettempdir()) / "msc-faust" / f"{env['MSC_PROBE_APP_ID']}-data",
                      ignore_errors=True)


def test_clickhouse_row_is_read_back_and_a_redelivery_or_correction_counts_once(
    clickhouse_database: str,
) -> None:
    client = clickhouse_client(clickhouse_database)
    [raw] = example_messages(VISIT_RECORDED)
    first = process_message(raw)
    assert isinstance(first, Rows)
    corrected = json.loads(raw)
    corrected.update(id=str(uuid.uuid4()), aggregateversion=2)
    corrected["data"].update(visit_date="2008-09-03", occurred_at="2008-09-03T08:00:00Z")
    second = process_message(json.dumps(corrected).encode())
    assert isinstance(second, Rows)
    insert = insert_visit_facts_sql(clickhouse_database)
    for rows in (first, first, second, first):  # redelivered, corrected, stale redelivery
        client.execute(insert, rows.by_table[VISIT_FACTS_TABLE])
    read = client.execute(
        "SELECT tenant_id, version, visit_date, occurred_at FROM visit_facts FINAL")
    # clickhouse-driver returns DateTime columns as naive UTC.
    naive_utc = datetime(2008, 9, 3, 8, 0, tzinfo=UTC).replace(tzinfo=None)
    assert read == [("AL", 2, date(2008, 9, 3), naive_utc)]
    by_month = client.execute(
        "SELECT toYYYYMM(visit_date) AS month, count() FROM visit_facts FINAL GROUP BY month")
    assert by_month == [(200809, 1)]
