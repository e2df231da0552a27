"""Kafka stops; intake goes on; Kafka returns and every event arrives, in order per aggregate.

The broker is the stack's real one: the test stops it (by the pid `msc stack up` recorded) and
starts it again, so it only runs where msc started Kafka.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.stack.component import Component
from infra.stack.manager import stack_up
from intake.models import Centre
from services.events.topics import CLIENTS, VISITS, topic_name
from services.outbox.models import OutboxEvent
from services.outbox.relay import RELAY_ALIAS
from services.tenancy.context import tenant_transaction
from tests.conftest import require_component, require_started_by_msc
from tests.integration.keycloak_helpers import as_user
from tests.kafka_helpers import DEADLINE_SECONDS, consume_topic, relay_process, run_topics
from tests.waiting import wait_until

pytestmark = [pytest.mark.integration,
              pytest.mark.django_db(transaction=True, databases=["default", "relay"])]

TENANT = "ME"
CONSENT = {"given_at": "2026-11-01T08:00:00Z", "scope": "service"}


@pytest.fixture
def kafka() -> Iterator[Component]:
    component = require_started_by_msc("kafka")
    require_component("keycloak")
    with run_topics():
        try:
            yield component
        finally:
            stack_up()  # whatever happened, the broker is running again afterwards


def _register(given: str, birth_year: int) -> str:
    response = as_user("counsellor.me").post("/api/v1/clients", {
        "given_name": given, "family_name": "Vujović", "sex": "female",
        "birth_year": birth_year, "citizenship": "ME", "category": "returnee",
        "municipality_code": "ME-1", "urban": True, "education_level": "isced3",
        "employment_status": "unemployed", "migration_intention": "labour",
        "consent": CONSENT}, format="json")
    assert response.status_code == 201, response.content
    return str(response.json()["id"])


def _unpublished(event_ids: set[str]) -> int:
    return OutboxEvent.objects.using(RELAY_ALIAS).filter(
        id__in=event_ids, published_at__isnull=True).count()


def _published(event_ids: set[str], received: list[Any]) -> dict[str, list[int]]:
    """Aggregate versions per Kafka key, in the order the broker holds them (last delivery)."""
    order: dict[str, list[str]] = defaultdict(list)
    version: dict[str, int] = {}
    for message in sorted(received, key=lambda m: (m.partition, m.offset)):
        event_id = message.envelope["id"]
        if event_id not in event_ids:
            continue
        if event_id in order[message.key]:
            order[message.key].remove(event_id)
        order[message.key].append(event_id)
        version[event_id] = message.envelope["aggregateversion"]
    return {key: [version[e] for e in ids] for key, ids in order.items()}


def test_intake_goes_on_while_kafka_is_down_and_every_event_arrives_after(
    kafka: Component, tmp_path: Path,
) -> None:
    with tenant_transaction(TENANT):
        centre = str(Centre.objects.create(tenant_id=TENANT, name="Podgorica MSC",
                                           municipality_code="ME-1").id)
    log_path = tmp_path / "relay.log"
    relay = relay_process(log_path)
    try:
        assert kafka.stop(), "the broker was not running"
        clients = [_register(name, 1980 + n) for n, name in enumerate(("Ana", "Maja", "Vesna"))]
        counsellor = as_user("counsellor.me")
        for round_ in range(5):
            for client in clients:
                visit = counsellor.post("/api/v1/visits", {
                    "client_id": client, "centre_id": centre, "channel": "in_person",
                    "occurred_at": f"2008-07-0{round_ + 1}T10:00:00Z",
                    "services": ["counselling"]}, format="json")
                assert visit.status_code == 201, visit.content
                current = counsellor.get(f"/api/v1/clients/{client}")
                update = counsellor.patch(
                    f"/api/v1/clients/{client}", {"municipality_code": f"ME-{round_ + 2}"},
                    format="json", HTTP_IF_MATCH=current["ETag"])
                assert update.status_code == 200, update.content
        with tenant_transaction(TENANT):
            event_ids = {str(i) for i in OutboxEvent.objects.values_list("id", flat=True)}
        assert len(event_ids) == 3 + 15 + 15
        assert _unpublished(event_ids) == len(event_ids), "nothing can be published yet"
        assert relay.poll() is None, "the relay gave up while Kafka was down"

        stack_up()

        def relay_alive() -> None:
            assert relay.poll() is None, log_path.read_text()

        wait_until(lambda: _unpublished(event_ids) == 0, seconds=DEADLINE_SECONDS,
                   still_running=relay_alive,
                   failure=lambda: "the backlog did not drain after Kafka returned")
    finally:
        relay.terminate()
        relay.wait(DEADLINE_SECONDS)
        with tenant_transaction(TENANT):
            OutboxEvent.objects.all().delete()

    client_events = _published(event_ids, consume_topic(topic_name(CLIENTS.name)))
    visit_events = _published(event_ids, consume_topic(topic_name(VISITS.name)))
    assert len(client_events) == 3
    assert all(versions == [1, 2, 3, 4, 5, 6] for versions in client_events.values())
    assert len(visit_events) == 15
    assert all(versions == [1] for versions in visit_events.values())
    assert all(key.startswith(f"{TENANT}:") for key in [*client_events, *visit_events])
