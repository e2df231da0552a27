"""The stream under faults: 50,000 visits through the API while the Faust worker is SIGKILLed
three times and ClickHouse restarts; afterwards ClickHouse equals PostgreSQL, nothing counted
twice, and every component came back by itself (or by the restart an operator would do).
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from analytics_stream.clickhouse.client import clickhouse_client
from analytics_stream.reconcile import reconcile
from infra.stack.component import Component
from infra.stack.manager import stack_up
from intake.models import Centre, Visit
from services.outbox.models import OutboxEvent
from services.tenancy.context import tenant_transaction
from tests.conftest import require_component, require_started_by_msc
from tests.integration.keycloak_helpers import as_user
from tests.kafka_helpers import relay_process, run_topics, stop_process, stream_process

pytestmark = [pytest.mark.integration,
              pytest.mark.django_db(transaction=True, databases=["default", "relay"])]

TENANTS = ("AL", "BA", "XK")
VISITS = 50_000
BATCH = 1000
KILL_WORKER_AT = (10, 25, 40)  # batches after which the worker is SIGKILLed (and restarted)
RESTART_CLICKHOUSE_AT = 32
CONSENT = {"given_at": "2026-11-01T08:00:00Z", "scope": "service"}


@pytest.fixture
def clickhouse(clickhouse_database: str) -> Iterator[Component]:
    component = require_started_by_msc("clickhouse")
    for name in ("kafka", "keycloak"):
        require_component(name)
    try:
        yield component
    finally:
        stack_up()


def _prepare(tenant: str) -> str:
    with tenant_transaction(tenant):
        centre = str(Centre.objects.create(tenant_id=tenant, name="MSC", municipality_code="1").id)
    items = [{"kind": "client", "key": f"{tenant}-c{n}", "data": {
        "given_name": f"N{n}", "family_name": "Fault", "sex": "female", "birth_year": 1960 + n % 40,
        "citizenship": tenant, "category": "national", "municipality_code": "M1", "urban": True,
        "education_level": "isced3", "employment_status": "unemployed",
        "migration_intention": "labour", "consent": CONSENT, "confirm_new": True}}
        for n in range(200)]
    answer = as_user(f"counsellor.{tenant.lower()}").post("/api/v1/sync", {"items": items},
                                                          format="json")
    assert answer.json()["summary"] == {"created": 200}, answer.content
    return centre


def _send_batch(number: int, centres: dict[str, str]) -> None:
    tenant = TENANTS[number % len(TENANTS)]
    items = [{"kind": "visit", "key": f"b{number}-v{n}", "data": {
        "client_key": f"{tenant}-c{(number * BATCH + n) % 200}", "centre_id": centres[tenant],
        "channel": "in_person", "occurred_at": f"2009-03-{n % 28 + 1:02d}T10:00:00Z",
        "services": ["information"] if n % 3 else ["counselling", "referral"]}}
        for n in range(BATCH)]
    answer = as_user(f"counsellor.{tenant.lower()}").post("/api/v1/sync", {"items": items},
                                                          format="json")
    assert answer.json()["summary"] == {"created": BATCH}, answer.content


def test_worker_kills_and_a_clickhouse_restart_lose_and_double_nothing(
    clickhouse: Component, clickhouse_database: str, tmp_path: Path,
) -> None:
    centres = {tenant: _prepare(tenant) for tenant in TENANTS}
    log = tmp_path / "stream.log"
    recovery: list[str] = []
    with run_topics():
        relay = relay_process(tmp_path / "relay.log")
        worker = stream_process(log)
        try:
            for number in range(VISITS // BATCH):
                _send_batch(number, centres)
                if number in KILL_WORKER_AT:
                    worker.send_signal(signal.SIGKILL)
                    worker.wait(30)
                    worker = stream_process(log)
                    recovery.append(f"worker killed after batch {number}, restarted")
                if number == RESTART_CLICKHOUSE_AT:
                    started = time.monotonic()
                    assert clickhouse.stop()
                    stack_up()
                    recovery.append(f"ClickHouse restarted in {time.monotonic() - started:.1f}s")
            started = time.monotonic()
            compared, differences = reconcile(tenants=TENANTS, database=clickhouse_database,
                                              wait_seconds=600)
            recovery.append(f"ClickHouse caught up {time.monotonic() - started:.1f}s after "
                            "the last batch")
            assert differences == [], (differences[:5], log.read_text()[-3000:])
            assert relay.poll() is None and worker.poll() is None
        finally:
            stop_process(relay)
            stop_process(worker)
            for tenant in TENANTS:
                with tenant_transaction(tenant):
                    OutboxEvent.objects.all().delete()

    total = 0
    for tenant in TENANTS:
        with tenant_transaction(tenant):
            total += Visit.objects.count()
    assert total == VISITS
    [(rows, distinct)] = clickhouse_client(clickhouse_database).execute(
        "SELECT count(), uniqExact(visit_id) FROM visit_facts FINAL")
    assert (rows, distinct) == (VISITS, VISITS)
    print("\n" + "\n".join(recovery))  # noqa: T201 - the run reports recovery times
