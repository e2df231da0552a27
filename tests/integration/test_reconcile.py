"""`msc reconcile` on the real PostgreSQL and ClickHouse: equal figures pass, any gap is named,
for visits per visit day and for referrals per day sent."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from analytics_stream.clickhouse.client import clickhouse_client
from analytics_stream.clickhouse.sql.referrals import (
    REFERRAL_FACTS_TABLE,
    insert_referral_facts_sql,
)
from analytics_stream.clickhouse.sql.visits import VISIT_FACTS_TABLE, insert_visit_facts_sql
from analytics_stream.processors import Rows, process_message
from analytics_stream.reconcile import Difference, reconcile
from intake.models import Centre
from referrals.events import REFERRAL_EVENT_TYPES
from referrals.models import Referral
from referrals.workflow import Action
from services.events.envelope import envelope_to_json, new_envelope
from services.outbox.models import OutboxEvent
from services.tenancy.context import tenant_transaction
from tests.analytics_stream.referral_mix import make_referrals
from tests.conftest import require_component
from tests.integration.keycloak_helpers import as_user
from tests.pipeline_helpers import stream_outbox

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

DAY = date(2008, 7, 1)


def _record_visits(tenant: str, count: int) -> None:
    require_component("keycloak")
    with tenant_transaction(tenant):
        centre = str(Centre.objects.create(tenant_id=tenant, name="MSC", municipality_code="1").id)
    counsellor = as_user(f"counsellor.{tenant.lower()}")
    client = counsellor.post("/api/v1/clients", {
        "given_name": "Ana", "family_name": "Kovač", "sex": "female", "birth_year": 1985,
        "citizenship": tenant, "category": "returnee", "municipality_code": "M1",
        "urban": True, "education_level": "isced3", "employment_status": "unemployed",
        "migration_intention": "labour",
        "consent": {"given_at": "2026-11-01T08:00:00Z", "scope": "service"}}, format="json")
    for n in range(count):
        response = counsellor.post("/api/v1/visits", {
            "client_id": client.json()["id"], "centre_id": centre, "channel": "phone",
            "occurred_at": f"2008-07-01T0{n % 10}:00:00Z",
            "services": ["information", "referral"] if n % 2 else ["counselling"]},
            format="json")
        assert response.status_code == 201, response.content


def test_equal_figures_reconcile_and_a_stray_fact_is_named(clickhouse_database: str) -> None:
    _record_visits("AL", 7)
    _record_visits("RS", 4)
    stream_outbox(clickhouse_database, ("AL", "RS"))
    stream_outbox(clickhouse_database, ("AL", "RS"))  # delivered twice: still equal
    compared, differences = reconcile(tenants=["AL", "RS"], database=clickhouse_database)
    assert (compared, differences) == (2, [])

    stray_id = str(uuid.uuid4())  # a fact PostgreSQL never had
    with tenant_transaction("RS"):
        recorded = OutboxEvent.objects.filter(event_type__contains="visit").first()
        assert recorded is not None
    message = envelope_to_json(new_envelope(
        event_type=recorded.event_type, tenant_id="RS", subject=stray_id, aggregate_id=stray_id,
        aggregate_version=1, data={**recorded.envelope["data"], "visit_id": stray_id}))
    processed = process_message(message)
    assert isinstance(processed, Rows)
    clickhouse_client(clickhouse_database).execute(
        insert_visit_facts_sql(clickhouse_database), processed.by_table[VISIT_FACTS_TABLE])

    _, differences = reconcile(tenants=["AL", "RS"], database=clickhouse_database)
    # The stray copies RS's first visit (counselling, a returnee, the same client).
    assert differences == [Difference("RS", DAY, "visits", 4, 5),
                           Difference("RS", DAY, "counselling", 2, 3),
                           Difference("RS", DAY, "returnees", 4, 5)]


def test_referrals_reconcile_per_sent_day_and_a_changed_state_is_named(
    clickhouse_database: str,
) -> None:
    require_component("keycloak")
    mix = make_referrals()
    stream_outbox(clickhouse_database, ("AL",))
    stream_outbox(clickhouse_database, ("AL",))  # delivered twice: still equal
    compared, differences = reconcile(tenants=["AL"], database=clickhouse_database)
    with tenant_transaction("AL"):
        days = {referral.sent_at.date() for referral in Referral.objects.all()
                if referral.sent_at is not None}
    assert (compared, differences) == (len(days), [])  # no visits: the days referrals were sent

    # A later step PostgreSQL never took: a waiting referral declined, one version up.
    waiting = mix.sent[10]
    with tenant_transaction("AL"):
        latest = OutboxEvent.objects.filter(envelope__subject=waiting).order_by(
            "-sequence").first()
        assert latest is not None
    envelope = latest.envelope
    message = envelope_to_json(new_envelope(
        event_type=REFERRAL_EVENT_TYPES[Action.DECLINE], tenant_id="AL", subject=waiting,
        aggregate_id=waiting, aggregate_version=envelope["aggregateversion"] + 1,
        data={**envelope["data"], "action": "decline", "state": "declined",
              "answered_at": envelope["data"]["sent_at"]}))
    processed = process_message(message)
    assert isinstance(processed, Rows)
    clickhouse_client(clickhouse_database).execute(
        insert_referral_facts_sql(clickhouse_database), processed.by_table[REFERRAL_FACTS_TABLE])

    _, differences = reconcile(tenants=["AL"], database=clickhouse_database)
    day = date.fromisoformat(envelope["data"]["sent_at"][:10])
    assert differences == [Difference("AL", day, "referrals_answered", 10, 11),
                           Difference("AL", day, "referrals_state_sent", 2, 1),
                           Difference("AL", day, "referrals_state_declined", 2, 3)]
