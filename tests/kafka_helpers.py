"""Helpers for tests that read this run's Kafka topics and run the outbox relay as a process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from services.conf import kafka_settings
from services.events.topics import delete_topics, ensure_topics

REPO = Path(__file__).resolve().parents[1]
DEADLINE_SECONDS = 90.0


@dataclass(frozen=True)
class Received:
    partition: int
    offset: int
    key: str
    headers: dict[str, bytes]
    value: bytes

    @property
    def envelope(self) -> dict[str, Any]:
        """The value as the JSON event it should be."""
        document: dict[str, Any] = json.loads(self.value)
        return document


@contextmanager
def run_topics() -> Iterator[str]:
    """This run's topics (every contract, under the run's prefix), deleted again afterwards."""
    bootstrap = kafka_settings()["BOOTSTRAP_SERVERS"]
    prefix = kafka_settings()["TOPIC_PREFIX"]
    ensure_topics(bootstrap, prefix)
    try:
        yield prefix
    finally:
        delete_topics(bootstrap, prefix)


def consume_topic(topic: str, *, timeout: float = DEADLINE_SECONDS) -> list[Received]:
    """Everything on the topic up to its current end, in partition order."""
    consumer = KafkaConsumer(bootstrap_servers=kafka_settings()["BOOTSTRAP_SERVERS"],
                             enable_auto_commit=False, group_id=None)
    try:
        partitions = [TopicPartition(topic, p)
                      for p in sorted(consumer.partitions_for_topic(topic) or ())]
        assert partitions, f"topic {topic} has no partitions"
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        end = consumer.end_offsets(partitions)
        received: list[Received] = []
        deadline = time.monotonic() + timeout
        while any(consumer.position(tp) < end[tp] for tp in partitions):
            assert time.monotonic() < deadline, "timed out reading the topic"
            for tp, records in consumer.poll(timeout_ms=1000).items():
                received.extend(
                    Received(tp.partition, record.offset, record.key.decode(),
                             dict(record.headers), bytes(record.value))
                    for record in records
                )
        return received
    finally:
        consumer.close()


def relay_process(log_path: Path, *args: str) -> subprocess.Popen[bytes]:
    """`msc relay` on this run's database and topics, logging to a file."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "services.settings.test"}
    for name in ("MSC_TEST_RUN_ID", "MSC_PG_DATABASE", "MSC_KAFKA_TOPIC_PREFIX"):
        assert env.get(name), f"{name} is set by services.settings.test"
    with log_path.open("ab") as log:
        return subprocess.Popen([sys.executable, "-m", "services.cli", "relay", *args],
                                cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)


def stream_process(log_path: Path) -> subprocess.Popen[bytes]:
    """`msc stream` on this run's topics and ClickHouse database, logging to a file (a full pipe
    would block the worker)."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "services.settings.test"}
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "services.cli", "stream", "--log-level", "info"],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)


def stop_process(process: subprocess.Popen[bytes], *, grace_seconds: float = 60.0) -> None:
    """SIGTERM, then SIGKILL if it does not stop within the grace period."""
    process.terminate()
    try:
        process.wait(grace_seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
