"""The outbox and its relay on the real database and broker: every committed event reaches Kafka
with its id, in order per key, even when a relay is killed mid-stream; nothing else does.

These tests commit (the relay reads through its own connection as the relay role), so they run
outside pytest-django's per-test transaction and delete their outbox rows afterwards.
"""

from __future__ import annotations

import signal
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import DatabaseError, connections, transaction
from kafka.errors import KafkaTimeoutError
from pydantic import BaseModel, ConfigDict

from services.events.registry import payload_model, register_event, registered_types
from services.events.topics import CONTRACTS, VISITS, topic_name
from services.outbox.models import OutboxEvent, bucket_of
from services.outbox.relay import (
    LOCK_CLASS,
    RELAY_ALIAS,
    OutboxRelay,
    RelayError,
    RelaySettings,
    outbox_backlog,
)
from services.outbox.services import OutboxError, outbox_append
from services.tenancy.context import tenant_transaction
from services.tenancy.models import TENANT_CODES
from tests.conftest import require_component
from tests.kafka_helpers import DEADLINE_SECONDS, consume_topic, relay_process, run_topics

pytestmark = pytest.mark.integration

TOPIC = VISITS.name
EVENT_TYPE = VISITS.event_types[0]


class _SamplePayload(BaseModel):
    """Stands in for the topic's payload until its app registers the real model."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    note: str


class _UnregisteredPayload(BaseModel):
    """A model that is not the registered payload of any type."""

    anything: int = 1


@pytest.fixture(scope="module")
def kafka() -> Iterator[str]:
    """This run's topics on the real broker; deleted again when the module is done."""
    require_component("kafka")
    with run_topics():
        yield topic_name(TOPIC)


@pytest.fixture
def committed_db(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Real commits on this run's database; the outbox is emptied again afterwards."""
    with django_db_blocker.unblock():
        yield
        for tenant in sorted(TENANT_CODES):
            with tenant_transaction(tenant):
                OutboxEvent.objects.all().delete()
        connections.close_all()


@pytest.fixture
def payload() -> Iterator[BaseModel]:
    """A valid payload of EVENT_TYPE: the registered example, or a sample model until then."""
    registered = {entry.name: entry for entry in registered_types()}
    if EVENT_TYPE in registered:
        yield payload_model(EVENT_TYPE).model_validate(registered[EVENT_TYPE].examples[0])
        return
    from services.events.registry import unregister_event

    register_event(EVENT_TYPE, _SamplePayload, examples=[{"note": "example"}])
    yield _SamplePayload(note="sample")
    unregister_event(EVENT_TYPE)


def _append(tenant: str, aggregate_id: str, version: int, payload: BaseModel) -> str:
    envelope = outbox_append(tenant_id=tenant, topic=TOPIC, event_type=EVENT_TYPE,
                             subject=f"visits/{aggregate_id}", aggregate_id=aggregate_id,
                             aggregate_version=version, payload=payload)
    return str(envelope.id)


def _append_streams(payload: BaseModel, *, tenants: tuple[str, ...], keys_per_tenant: int,
                    versions: int, per_transaction: int = 50) -> dict[str, list[str]]:
    """Interleaved events of many aggregates; the ids of each key in the order appended."""
    plan = [(tenant, f"agg-{uuid.uuid4().hex[:8]}-{index}")
            for tenant in tenants for index in range(keys_per_tenant)]
    steps = [(tenant, aggregate, version)
             for version in range(1, versions + 1) for tenant, aggregate in plan]
    by_key: dict[str, list[str]] = defaultdict(list)
    for start in range(0, len(steps), per_transaction):
        chunk = steps[start:start + per_transaction]
        for tenant in tenants:
            mine = [step for step in chunk if step[0] == tenant]
            if not mine:
                continue
            with tenant_transaction(tenant):
                for _, aggregate, version in mine:
                    by_key[f"{tenant}:{aggregate}"].append(
                        _append(tenant, aggregate, version, payload))
    return dict(by_key)


def _published_flags(ids: list[str]) -> list[bool]:
    rows = OutboxEvent.objects.using(RELAY_ALIAS).filter(id__in=ids)
    return [row.published_at is not None for row in rows]


def _relay(**changes: Any) -> OutboxRelay:
    return OutboxRelay(relay_settings=RelaySettings(poll_interval_seconds=0.05, **changes))


@pytest.mark.usefixtures("committed_db")
def test_each_event_arrives_once_in_order_per_key(kafka: str, payload: BaseModel) -> None:
    streams = _append_streams(payload, tenants=("AL", "RS"), keys_per_tenant=4, versions=5)
    ids = [event_id for key_ids in streams.values() for event_id in key_ids]

    assert _relay(batch_size=7).run(once=True) >= len(ids)

    mine = [message for message in consume_topic(kafka) if message.headers["ce_id"].decode() in ids]
    assert Counter(message.envelope["id"] for message in mine) == Counter(dict.fromkeys(ids, 1))
    arrived: dict[str, list[str]] = defaultdict(list)
    for message in sorted(mine, key=lambda m: (m.partition, m.offset)):
        assert message.key == message.envelope["partitionkey"]
        assert message.headers["ce_type"].decode() == EVENT_TYPE == message.envelope["type"]
        arrived[message.key].append(message.envelope["id"])
    assert arrived == streams
    assert {message.envelope["tenantid"] for message in mine} == {"AL", "RS"}
    assert all(_published_flags(ids))
    assert len(_published_flags(ids)) == len(ids)


@pytest.mark.usefixtures("committed_db")
def test_rolled_back_change_leaves_no_event(payload: BaseModel) -> None:
    appended: list[str] = []
    with pytest.raises(RuntimeError, match="business rule"), tenant_transaction("AL"):
        appended.append(_append("AL", "agg-rolled-back", 1, payload))
        raise RuntimeError("business rule failed after the append")
    assert appended
    assert not OutboxEvent.objects.using(RELAY_ALIAS).filter(id__in=appended).exists()


@pytest.mark.usefixtures("committed_db")
def test_append_outside_a_transaction_is_refused(payload: BaseModel) -> None:
    with pytest.raises(OutboxError, match="inside the transaction"):
        _append("AL", "agg-no-transaction", 1, payload)
    assert outbox_backlog().size == 0


@pytest.mark.usefixtures("committed_db")
def test_append_checks_topic_contract_and_payload_model(payload: BaseModel) -> None:
    other_topic = next(c.name for c in CONTRACTS if EVENT_TYPE not in c.event_types)
    with tenant_transaction("AL"):
        with pytest.raises(OutboxError, match="does not carry"):
            outbox_append(tenant_id="AL", topic=other_topic, event_type=EVENT_TYPE,
                          subject="x", aggregate_id="x", aggregate_version=1, payload=payload)
        with pytest.raises(TypeError, match="carries"):
            outbox_append(tenant_id="AL", topic=TOPIC, event_type=EVENT_TYPE, subject="x",
                          aggregate_id="x", aggregate_version=1,
                          payload=_UnregisteredPayload())


@pytest.mark.usefixtures("committed_db")
def test_app_role_cannot_write_another_tenants_event(payload: BaseModel) -> None:
    with pytest.raises(DatabaseError, match="row-level security"), tenant_transaction("AL"):
        _append("RS", "agg-foreign", 1, payload)


@pytest.mark.usefixtures("committed_db")
def test_relay_role_reads_every_tenant_and_writes_nothing_else(payload: BaseModel) -> None:
    streams = _append_streams(payload, tenants=("AL", "RS"), keys_per_tenant=1, versions=1)
    relay = connections[RELAY_ALIAS]
    with relay.cursor() as cursor:
        cursor.execute("SELECT rolbypassrls, rolsuper FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (True, False)
        cursor.execute("SELECT DISTINCT tenant_id FROM outbox_outboxevent ORDER BY 1")
        assert [row[0] for row in cursor.fetchall()] == ["AL", "RS"]
    for statement in ("DELETE FROM outbox_outboxevent", "SELECT count(*) FROM intake_client",
                      "INSERT INTO tenancy_tenant (code, name) VALUES ('ZZ', 'Nowhere')"):
        with pytest.raises(DatabaseError, match="permission denied"), \
                transaction.atomic(using=RELAY_ALIAS), relay.cursor() as cursor:
            cursor.execute(statement)
    assert len(streams) == 2


@pytest.mark.usefixtures("committed_db")
def test_backlog_reports_size_and_age(kafka: str, payload: BaseModel) -> None:
    assert outbox_backlog() == outbox_backlog().__class__(size=0, oldest_age=None)
    _append_streams(payload, tenants=("ME",), keys_per_tenant=3, versions=1)
    backlog = outbox_backlog()
    assert backlog.size == 3
    assert backlog.oldest_age is not None
    assert backlog.oldest_age.total_seconds() >= 0
    _relay().run(once=True)
    assert outbox_backlog().size == 0


@pytest.mark.usefixtures("committed_db")
def test_bucket_held_by_another_relay_is_left_alone(kafka: str, payload: BaseModel) -> None:
    streams = _append_streams(payload, tenants=("HR",), keys_per_tenant=6, versions=2)
    held_key = next(iter(streams))
    held_bucket = bucket_of(held_key)
    release = threading.Event()
    holding = threading.Event()

    def other_relay() -> None:
        # Stands for a second relay in the middle of publishing that bucket.
        with transaction.atomic(using="owner"), connections["owner"].cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_CLASS, held_bucket])
            holding.set()
            release.wait(DEADLINE_SECONDS)
        connections["owner"].close()

    holder = threading.Thread(target=other_relay)
    holder.start()
    try:
        assert holding.wait(DEADLINE_SECONDS)
        _relay().run(once=True)
        held = [key for key in streams if bucket_of(key) == held_bucket]
        for key, ids in streams.items():
            assert all(_published_flags(ids)) is (key not in held)
    finally:
        release.set()
        holder.join(DEADLINE_SECONDS)
    _relay().run(once=True)
    assert outbox_backlog().size == 0


class _BrokenProducer:
    """A producer whose broker never acknowledges."""

    def send(self, topic: str, value: bytes, key: bytes,
             headers: list[tuple[str, bytes]]) -> Any:
        return None

    def flush(self, timeout: float | None = None) -> None:
        raise KafkaTimeoutError("no acknowledgement within the timeout")

    def close(self, timeout: float | None = None) -> None:
        return None


@pytest.mark.usefixtures("committed_db")
def test_broker_failure_is_recorded_and_retried_never_dropped(
        kafka: str, payload: BaseModel) -> None:
    streams = _append_streams(payload, tenants=("MK",), keys_per_tenant=2, versions=2)
    ids = [event_id for key_ids in streams.values() for event_id in key_ids]
    broken = OutboxRelay(
        relay_settings=RelaySettings(poll_interval_seconds=0.01, once_max_failed_passes=2),
        producer_factory=lambda _timeout: _BrokenProducer(),
    )
    with pytest.raises(RelayError, match="KafkaTimeoutError"):
        broken.run(once=True)
    rows = list(OutboxEvent.objects.using(RELAY_ALIAS).filter(id__in=ids))
    assert {(row.published_at, row.attempts) for row in rows} == {(None, 2)}
    assert all("no acknowledgement" in row.last_error for row in rows)

    _relay().run(once=True)
    assert all(_published_flags(ids))
    mine = [m for m in consume_topic(kafka) if m.envelope["id"] in ids]
    assert sorted(m.envelope["id"] for m in mine) == sorted(ids)


@pytest.mark.usefixtures("committed_db")
def test_relay_killed_mid_stream_loses_nothing(kafka: str, payload: BaseModel,
                                               tmp_path: Path) -> None:
    streams = _append_streams(payload, tenants=("AL", "BA", "XK"), keys_per_tenant=40,
                              versions=25, per_transaction=500)
    ids = [event_id for key_ids in streams.values() for event_id in key_ids]
    assert len(ids) == 3000
    log_path = tmp_path / "relay.log"

    first = relay_process(log_path, "--batch-size", "10")
    try:
        deadline = time.monotonic() + DEADLINE_SECONDS
        while outbox_backlog().size > len(ids) * 2 // 3:
            assert first.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, "the relay published nothing in time"
            time.sleep(0.01)
        first.send_signal(signal.SIGKILL)
    finally:
        first.kill()
        first.wait(DEADLINE_SECONDS)
    left_at_kill = outbox_backlog().size
    assert left_at_kill > 0, "the relay finished before the kill; nothing was tested"

    second = relay_process(log_path, "--once")
    assert second.wait(DEADLINE_SECONDS) == 0, log_path.read_text()
    assert outbox_backlog().size == 0

    mine = [m for m in consume_topic(kafka) if m.envelope["id"] in set(ids)]
    counts = Counter(m.envelope["id"] for m in mine)
    assert set(counts) == set(ids)
    for message in mine:
        assert message.headers["ce_id"].decode() == message.envelope["id"]
    resent = sum(counts.values()) - len(ids)
    # Last delivery of each id, per key: the order the aggregate changed in.
    last_seen: dict[str, list[str]] = defaultdict(list)
    for message in sorted(mine, key=lambda m: (m.partition, m.offset)):
        order = last_seen[message.key]
        if message.envelope["id"] in order:
            order.remove(message.envelope["id"])
        order.append(message.envelope["id"])
    assert last_seen == streams
    print(f"\nrelay killed with {left_at_kill} of {len(ids)} events unpublished; "  # noqa: T201 - reported by the run
          f"{resent} re-sent after the restart")


@pytest.mark.usefixtures("committed_db")
def test_relay_stops_cleanly_on_sigterm(kafka: str, payload: BaseModel, tmp_path: Path) -> None:
    log_path = tmp_path / "relay.log"
    relay = relay_process(log_path)
    try:
        ids = [event_id for key_ids in _append_streams(
            payload, tenants=("AL",), keys_per_tenant=2, versions=2).values()
            for event_id in key_ids]
        deadline = time.monotonic() + DEADLINE_SECONDS
        while not all(_published_flags(ids)):
            assert relay.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, "the polling relay published nothing in time"
            time.sleep(0.05)
        relay.send_signal(signal.SIGTERM)
        assert relay.wait(DEADLINE_SECONDS) == 0, log_path.read_text()
    finally:
        relay.kill()
        relay.wait(DEADLINE_SECONDS)
    assert "stopped after publishing 4 event(s)" in log_path.read_text()
