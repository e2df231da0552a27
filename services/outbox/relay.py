"""The outbox relay: publishes committed outbox rows to Kafka, in order per key, at least once.

Ordering across several relay processes
---------------------------------------
`SELECT ... ORDER BY sequence LIMIT n FOR UPDATE SKIP LOCKED` alone is not enough: while relay A
holds the first rows of key K, relay B skips them and may publish a later event of K first.

So the work is split into `BUCKETS` buckets by a stable hash of the Kafka key (`bucket_of`, stored
on each row), and a bucket is published only under a transaction-level advisory lock
(`pg_try_advisory_xact_lock(LOCK_CLASS, bucket)`). For a few buckets, in one transaction:

1. try each bucket's lock; skip the buckets another relay holds (they are being served);
2. read the oldest unpublished rows of the locked buckets, `ORDER BY sequence`;
3. send them in that order with an idempotent producer (acks=all, at most 5 requests in
   flight, so Kafka keeps the order of one partition even across retries), flush, and check
   every send's result;
4. only then mark them published; the commit releases the lock.

Every key lives in exactly one bucket, at most one relay serves a bucket at a time, and it starts
from the bucket's oldest unpublished row, so a key's events reach Kafka in `sequence` order.
Statement 2 runs after the lock is taken and (in READ COMMITTED) sees the previous holder's
commit, so rows it published are not read again. Buckets, not single keys, are locked so that
one lock covers a whole batch; 32 buckets let up to 32 relays share the load. Several buckets
share one send and one flush (`BUCKETS_PER_SEND`): a flush waits for Kafka's acknowledgements,
and one per bucket made the publish lag grow with the number of busy buckets.

`sequence` is the order of insertion. Writers make it the order of the aggregate's changes by
appending while holding the aggregate's row lock (see `outbox_append`).

Failures
--------
If a send fails or times out, the transaction rolls back (nothing is marked), the rows' `attempts`
and `last_error` are recorded, and the relay backs off and tries again from the same oldest row:
events are never dropped, and a retry may re-send some with the same `id` (consumers deduplicate
on it). A relay killed between Kafka's acknowledgement and the commit re-sends the same way.
"""

from __future__ import annotations

import json
import logging
import signal
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from types import FrameType
from typing import Any, Protocol

from django.db import DatabaseError, connections, transaction
from django.db.models import F
from django.db.models.functions import Now
from kafka import KafkaProducer
from kafka.errors import KafkaError

from services.conf import kafka_settings
from services.events.topics import topic_name
from services.outbox.models import OutboxEvent

log = logging.getLogger(__name__)

RELAY_ALIAS = "relay"
# First key of the relay's advisory locks, so that they never collide with other advisory locks.
LOCK_CLASS = 0x6D736F62  # "msob"
# How far ahead of the oldest unpublished row the relay looks for buckets with work.
HEAD_WINDOW = 5000
BUCKETS_PER_SEND = 8
MAX_ERROR_CHARS = 2000
CONTENT_TYPE = b"application/cloudevents+json"


class Producer(Protocol):
    """What the relay needs of a Kafka producer (kafka-python's KafkaProducer has it)."""

    def send(self, topic: str, value: bytes, key: bytes,
             headers: list[tuple[str, bytes]]) -> Any: ...

    def flush(self, timeout: float | None = None) -> None: ...

    def close(self, timeout: float | None = None) -> None: ...


@dataclass(frozen=True)
class RelaySettings:
    """How much the relay takes at once and how long it waits."""

    batch_size: int = 500
    poll_interval_seconds: float = 0.1
    send_timeout_seconds: float = 30.0
    max_backoff_seconds: float = 30.0
    # --once gives up (exit status 1) after this many passes in a row that failed.
    once_max_failed_passes: int = 5


@dataclass(frozen=True)
class Backlog:
    """What monitoring needs: unpublished events and how long the oldest has waited."""

    size: int
    oldest_age: timedelta | None


class RelayError(RuntimeError):
    """The relay could not publish (the broker or database kept failing)."""


class BatchFailed(Exception):
    """Publishing one bucket's batch failed; nothing of it was marked published."""

    def __init__(self, bucket: int, sequences: Sequence[int], cause: BaseException) -> None:
        super().__init__(f"bucket {bucket}: {type(cause).__name__}: {cause}")
        self.bucket = bucket
        self.sequences = list(sequences)
        self.cause = cause


def kafka_producer(send_timeout_seconds: float) -> KafkaProducer:
    """An idempotent producer that keeps each partition's order even when it retries."""
    timeout_ms = int(send_timeout_seconds * 1000)
    return KafkaProducer(
        bootstrap_servers=kafka_settings()["BOOTSTRAP_SERVERS"],
        client_id="msc-outbox-relay",
        enable_idempotence=True,
        acks="all",
        max_in_flight_requests_per_connection=5,
        linger_ms=5,
        # Every send is settled (acknowledged or failed) within the send timeout, so nothing of
        # a failed batch is still being retried when the relay lets the bucket go.
        delivery_timeout_ms=timeout_ms,
        request_timeout_ms=min(30_000, timeout_ms // 2),
        max_block_ms=timeout_ms,
        # After a broker restart, reconnect within seconds: with kafka-python's default backoff
        # (growing to ~30 s between attempts) batches expired before the reconnect and the relay
        # stalled for a minute after a short outage (seen in the ledger test).
        reconnect_backoff_max_ms=2_000,
    )


def outbox_backlog(*, using: str = RELAY_ALIAS) -> Backlog:
    """Unpublished events across all tenants and the age of the oldest (None when empty)."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), now() - min(created_at) FROM {OutboxEvent._meta.db_table} "  # noqa: S608 - table name from the model
            "WHERE published_at IS NULL"
        )
        row = cursor.fetchone()
    assert row is not None  # noqa: S101 - an aggregate always returns one row
    return Backlog(size=int(row[0]), oldest_age=row[1])


class OutboxRelay:
    """Publishes the outbox to Kafka; one instance per process, any number of processes."""

    def __init__(self, *, relay_settings: RelaySettings | None = None, using: str = RELAY_ALIAS,
                 topic_prefix: str | None = None,
                 producer_factory: Callable[[float], Producer] = kafka_producer) -> None:
        self.settings = relay_settings or RelaySettings()
        self.using = using
        self.topic_prefix = (kafka_settings()["TOPIC_PREFIX"] if topic_prefix is None
                             else topic_prefix)
        self._producer_factory = producer_factory
        self._producer: Producer | None = None
        self.published = 0

    # -- one bucket ------------------------------------------------------------------------

    def _producer_now(self) -> Producer:
        if self._producer is None:
            self._producer = self._producer_factory(self.settings.send_timeout_seconds)
        return self._producer

    def _discard_producer(self) -> None:
        """Drop a producer whose sends failed, so none of its retries outlives our bucket lock."""
        producer, self._producer = self._producer, None
        if producer is None:
            return
        try:
            producer.close(timeout=0)
        except KafkaError as exc:
            log.warning("outbox relay: closing the failed producer: %s", exc)

    def _send(self, rows: Sequence[OutboxEvent]) -> None:
        """Send rows in order and wait until Kafka acknowledged every one (or raise)."""
        producer = self._producer_now()
        futures = [
            producer.send(
                topic_name(row.topic, self.topic_prefix),
                key=row.partition_key.encode(),
                value=json.dumps(row.envelope, separators=(",", ":")).encode(),
                headers=[("ce_type", row.event_type.encode()), ("ce_id", str(row.id).encode()),
                         ("content-type", CONTENT_TYPE)],
            )
            for row in rows
        ]
        # A little longer than delivery_timeout_ms: by then every send has settled.
        producer.flush(timeout=self.settings.send_timeout_seconds + 5)
        for future in futures:
            # Raises the send's own error; every future is done after flush, so no waiting.
            future.get(timeout=self.settings.send_timeout_seconds)

    def publish_buckets(self, buckets: Sequence[int]) -> int:
        """Publish the oldest rows of the buckets this relay can lock, in one send and one flush.

        Buckets another relay holds are skipped. The rows taken are a prefix of the outbox in
        sequence order, so within each bucket (and so each key) they are its oldest, in order.
        Raises `BatchFailed` after rolling back when a send failed.
        """
        with transaction.atomic(using=self.using):
            locked: list[int] = []
            with connections[self.using].cursor() as cursor:
                for bucket in buckets:
                    cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)",
                                   [LOCK_CLASS, bucket])
                    row = cursor.fetchone()
                    if row and row[0]:
                        locked.append(bucket)
            if not locked:
                return 0
            rows = list(
                OutboxEvent.objects.using(self.using)
                .filter(bucket__in=locked, published_at__isnull=True)
                .order_by("sequence")
                .only("sequence", "id", "topic", "partition_key", "event_type", "envelope")
                [: self.settings.batch_size]
            )
            if not rows:
                return 0
            try:
                self._send(rows)
            except KafkaError as exc:
                # Before the rollback releases the buckets: another relay's sends must not be
                # overtaken by late retries of ours.
                self._discard_producer()
                raise BatchFailed(locked[0], [row.sequence for row in rows], exc) from exc
            OutboxEvent.objects.using(self.using).filter(
                sequence__in=[row.sequence for row in rows]
            ).update(published_at=Now())
        return len(rows)

    def _record_failure(self, failure: BatchFailed) -> None:
        """Note the failed attempt on its rows, for operators; best effort."""
        try:
            OutboxEvent.objects.using(self.using).filter(
                sequence__in=failure.sequences, published_at__isnull=True
            ).update(attempts=F("attempts") + 1,
                     last_error=str(failure)[:MAX_ERROR_CHARS])
        except DatabaseError as exc:
            log.warning("outbox relay: could not record a failed attempt: %s", exc)

    # -- passes ----------------------------------------------------------------------------

    def pending_buckets(self) -> list[int]:
        """Buckets with unpublished rows near the head of the outbox, oldest work first."""
        table = OutboxEvent._meta.db_table
        with connections[self.using].cursor() as cursor:
            cursor.execute(
                f"SELECT bucket FROM (SELECT bucket, sequence FROM {table} "  # noqa: S608 - table name from the model
                "WHERE published_at IS NULL ORDER BY sequence LIMIT %s) head "
                "GROUP BY bucket ORDER BY min(sequence)",
                [HEAD_WINDOW],
            )
            return [int(row[0]) for row in cursor.fetchall()]

    def run_pass(self, stop: threading.Event) -> tuple[int, list[BatchFailed]]:
        """One batch from every pending bucket this relay can lock: (published, failures)."""
        connections[self.using].close_if_unusable_or_obsolete()
        published = 0
        failures: list[BatchFailed] = []
        pending = self.pending_buckets()
        # A few buckets per transaction: one flush for all of them, yet a failure holds back
        # (and a slow Kafka blocks) only those few.
        for start in range(0, len(pending), BUCKETS_PER_SEND):
            if stop.is_set():
                break
            try:
                published += self.publish_buckets(pending[start:start + BUCKETS_PER_SEND])
            except BatchFailed as failure:
                log.warning("outbox relay: %s; will retry", failure)
                self._record_failure(failure)
                failures.append(failure)
        self.published += published
        return published, failures

    def run(self, *, once: bool = False, stop: threading.Event | None = None) -> int:
        """Publish until stopped (or, with `once`, until nothing is left); the number published.

        `once` raises `RelayError` after `once_max_failed_passes` failing passes in a row.
        """
        stop = stop or threading.Event()
        failed_passes = 0
        try:
            while not stop.is_set():
                try:
                    published, failures = self.run_pass(stop)
                except DatabaseError as exc:
                    log.warning("outbox relay: database error: %s; will retry", exc)
                    published, failures = 0, [BatchFailed(-1, [], exc)]
                if failures:
                    failed_passes += 1
                    if once and failed_passes >= self.settings.once_max_failed_passes:
                        raise RelayError(f"gave up after {failed_passes} failed passes: "
                                         f"{failures[0]}")
                    stop.wait(self._backoff(failed_passes))
                    continue
                failed_passes = 0
                if published:
                    continue
                if once:
                    break
                stop.wait(self.settings.poll_interval_seconds)
        finally:
            self.close()
        return self.published

    def _backoff(self, failed_passes: int) -> float:
        return float(min(self.settings.max_backoff_seconds,
                         self.settings.poll_interval_seconds * 2 ** min(failed_passes, 16)))

    def close(self) -> None:
        """Flush and close the producer (a relay may be run again afterwards)."""
        producer, self._producer = self._producer, None
        if producer is not None:
            try:
                producer.close(timeout=self.settings.send_timeout_seconds)
            except KafkaError as exc:
                log.warning("outbox relay: closing the producer: %s", exc)


def run_relay(*, once: bool = False, relay_settings: RelaySettings | None = None) -> int:
    """`msc relay`: publish the outbox; SIGTERM and SIGINT finish the current batch and exit."""
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        log.info("outbox relay: signal %s, stopping after the current batch", signum)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    relay = OutboxRelay(relay_settings=relay_settings)
    log.info("outbox relay: started (%s)", "drain once" if once else "polling")
    try:
        published = relay.run(once=once, stop=stop)
    except RelayError as exc:
        log.error("outbox relay: %s", exc)
        return 1
    log.info("outbox relay: stopped after publishing %d event(s)", published)
    return 0
