"""`msc stream` on the real broker and ClickHouse: visit events become facts, exactly once in the
figures, through redeliveries, corrections, undecodable messages and a SIGKILL of the worker; the
referrals made through the API, relayed from the outbox, land once in their latest state, and
agree with PostgreSQL however often (and in whatever order) their events arrive."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaProducer

from analytics_stream.clickhouse.client import clickhouse_client
from analytics_stream.clickhouse.migrate import apply_migrations, drop_database
from analytics_stream.reconcile import reconcile
from intake.events import VISIT_CORRECTED, VISIT_RECORDED
from services.conf import clickhouse_settings, kafka_settings
from services.events.envelope import envelope_to_json, new_envelope
from services.events.registry import example_messages
from services.events.topics import DEADLETTER, REFERRALS, VISITS, TopicContract, topic_name
from services.metrics import collect
from tests.analytics_stream.referral_mix import EXPECTED, make_referrals, postgres_figures
from tests.conftest import require_component
from tests.integration.keycloak_helpers import as_user
from tests.kafka_helpers import (
    consume_topic,
    relay_process,
    run_topics,
    stop_process,
    stream_process,
)
from tests.waiting import wait_until

pytestmark = pytest.mark.integration

DEADLINE_SECONDS = 120.0


@pytest.fixture
def pipeline() -> Iterator[str]:
    """This run's topics and ClickHouse database; removed afterwards."""
    require_component("kafka")
    require_component("clickhouse")
    database = clickhouse_settings()["DATABASE"]
    apply_migrations(database)
    try:
        with run_topics():
            yield database
    finally:
        drop_database(database)
        prefix = kafka_settings()["TOPIC_PREFIX"]
        shutil.rmtree(Path(tempfile.gettempdir()) / "msc-faust" / f"{prefix}msc-stream-data",
                      ignore_errors=True)


def _visit(tenant: str, visit_id: str, version: int = 1, day: str = "2008-07-01") -> bytes:
    [example] = example_messages(VISIT_RECORDED)
    data: dict[str, Any] = json.loads(example)["data"]
    data.update(visit_id=visit_id, visit_date=day, occurred_at=f"{day}T10:00:00Z",
                recorded_at="2008-07-01T10:00:00Z")
    return envelope_to_json(new_envelope(
        event_type=VISIT_RECORDED if version == 1 else VISIT_CORRECTED, tenant_id=tenant,
        subject=visit_id, aggregate_id=visit_id, aggregate_version=version, data=data))


def _send(messages: list[tuple[str, bytes]], contract: TopicContract = VISITS) -> None:
    producer = KafkaProducer(bootstrap_servers=kafka_settings()["BOOTSTRAP_SERVERS"], acks="all")
    try:
        for key, value in messages:
            producer.send(topic_name(contract.name), key=key.encode(), value=value)
        producer.flush(timeout=30)
    finally:
        producer.close()


def _figures(database: str) -> dict[tuple[str, str], int]:
    rows = clickhouse_client(database).execute(
        "SELECT tenant_id, toString(visit_date) AS day, count() FROM visit_facts FINAL "
        "GROUP BY tenant_id, day")
    return {(tenant, day): count for tenant, day, count in rows}


def _wait_for(database: str, expected: dict[tuple[str, str], int],
              worker: subprocess.Popen[bytes], log_path: Path) -> None:
    def worker_alive() -> None:
        assert worker.poll() is None, log_path.read_text()[-4000:]

    wait_until(lambda: _figures(database) == expected, seconds=DEADLINE_SECONDS, interval=0.5,
               still_running=worker_alive,
               failure=lambda: f"ClickHouse has {_figures(database)}, expected {expected}; "
                               f"worker log:\n{log_path.read_text()[-4000:]}")


def _wait_for_no_lag(contract: TopicContract = VISITS) -> None:
    """The worker's committed offsets reach the end of the topic (metrics say lag 0)."""
    def topic_lag() -> dict[tuple[str, int], int]:
        lag = collect().consumer_lag or {}
        return {key: value for key, value in lag.items() if key[0] == topic_name(contract.name)}

    wait_until(lambda: len(lag := topic_lag()) == contract.partitions and sum(lag.values()) == 0,
               seconds=DEADLINE_SECONDS, interval=1.0,
               failure=lambda: f"consumer lag stays at {topic_lag()}")


def test_visits_reach_clickhouse_once_through_redelivery_correction_and_a_crash(
    pipeline: str, tmp_path: Path,
) -> None:
    log_path = tmp_path / "stream.log"
    first = [(tenant, str(uuid.uuid4())) for tenant in ("AL", "RS") for _ in range(20)]
    batch = [(f"{t}:{v}", _visit(t, v)) for t, v in first]
    moved_tenant, moved = first[0]
    batch += batch[:10]  # redelivered by an at-least-once producer
    batch.append((f"{moved_tenant}:{moved}", _visit(moved_tenant, moved, 2, "2008-08-15")))
    garbage = [("AL:x", b"{not json"), ("AL:y", json.dumps({"type": "nonsense"}).encode())]
    _send(batch + garbage)

    worker = stream_process(log_path)
    try:
        expected = {("AL", "2008-07-01"): 19, ("AL", "2008-08-15"): 1, ("RS", "2008-07-01"): 20}
        _wait_for(pipeline, expected, worker, log_path)
        worker.send_signal(signal.SIGKILL)
        worker.wait(30)

        second = [(t, str(uuid.uuid4())) for t in ("AL", "RS") for _ in range(10)]
        _send([(f"{t}:{v}", _visit(t, v, day="2008-07-02")) for t, v in second])
        worker = stream_process(log_path)
        expected |= {("AL", "2008-07-02"): 10, ("RS", "2008-07-02"): 10}
        _wait_for(pipeline, expected, worker, log_path)
        _wait_for_no_lag()
    finally:
        stop_process(worker)

    dead = consume_topic(topic_name(DEADLETTER.name))
    reasons = {m.key: dict(m.headers)["msc_reason"].decode() for m in dead}
    assert set(reasons) == {"AL:x", "AL:y"}, reasons
    assert "not JSON" in reasons["AL:x"] and "invalid envelope" in reasons["AL:y"]
    assert {m.key: m.value for m in dead}["AL:x"] == b"{not json"  # passed on unchanged
    assert {dict(m.headers)["msc_source_topic"].decode() for m in dead} == {
        topic_name(VISITS.name)}


@pytest.mark.django_db(transaction=True, databases=["default", "relay"])
def test_referrals_reach_clickhouse_once_in_their_latest_state(pipeline: str,
                                                                tmp_path: Path) -> None:
    require_component("keycloak")
    mix = make_referrals()
    relay = relay_process(tmp_path / "relay.log", "--once")
    assert relay.wait(DEADLINE_SECONDS) == 0, (tmp_path / "relay.log").read_text()[-4000:]
    log_path = tmp_path / "stream.log"
    worker = stream_process(log_path)
    try:
        _, differences = reconcile(tenants=["AL"], database=pipeline,
                                   wait_seconds=DEADLINE_SECONDS)
        assert differences == [], log_path.read_text()[-4000:]
        # Every step delivered again, newest first: each referral's older versions now arrive
        # after its latest one, and must change nothing.
        relayed = consume_topic(topic_name(REFERRALS.name))
        assert len(relayed) > len(mix.sent)
        _send([(m.key, m.value) for m in reversed(relayed)], REFERRALS)
        _wait_for_no_lag(REFERRALS)
        assert worker.poll() is None, log_path.read_text()[-4000:]
    finally:
        stop_process(worker)
    assert reconcile(tenants=["AL"], database=pipeline)[1] == []
    [(facts, referrals)] = clickhouse_client(pipeline).execute(
        "SELECT count(), uniqExact(referral_id) FROM referral_facts FINAL")
    assert facts == referrals == len(mix.sent)  # drafts, sent or cancelled, have no facts
    period = f"from={mix.sent_on}&to={mix.sent_on + timedelta(days=1)}"  # past midnight, too
    answer = as_user("counsellor.al").get(f"/api/v1/stats/summary?{period}").json()
    assert {name: answer["referrals"][name] for name in EXPECTED} == postgres_figures()
