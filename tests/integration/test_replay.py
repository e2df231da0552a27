"""`msc replay` on real PostgreSQL and ClickHouse: facts rebuilt from the source of truth, once."""

from __future__ import annotations

import pytest

from analytics_stream.clickhouse.client import clickhouse_client
from analytics_stream.clickhouse.sql.referrals import REFERRAL_FACT_COLUMNS, REFERRAL_FACTS_TABLE
from analytics_stream.reconcile import reconcile
from analytics_stream.replay import replay
from intake.models import Centre
from services.tenancy.context import tenant_transaction
from tests.analytics_stream.referral_mix import make_referrals
from tests.conftest import require_component
from tests.integration.keycloak_helpers import as_user
from tests.pipeline_helpers import stream_outbox

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

CONSENT = {"given_at": "2026-11-01T08:00:00Z", "scope": "service"}


def _record(tenant: str, visits: int) -> str:
    require_component("keycloak")
    with tenant_transaction(tenant):
        centre = str(Centre.objects.create(tenant_id=tenant, name="MSC", municipality_code="1").id)
    items = [{"kind": "client", "key": f"{tenant}-c", "data": {
        "given_name": "Edin", "family_name": "Hodžić", "sex": "male", "birth_year": 1980,
        "citizenship": tenant, "category": "national", "municipality_code": "M1",
        "urban": True, "education_level": "isced3", "employment_status": "unemployed",
        "migration_intention": "labour", "consent": CONSENT}}]
    items += [{"kind": "visit", "key": f"{tenant}-v{n}", "data": {
        "client_key": f"{tenant}-c", "centre_id": centre, "channel": "phone",
        "occurred_at": f"2008-07-0{n % 9 + 1}T10:00:00Z", "services": ["information"]}}
        for n in range(visits)]
    answer = as_user(f"counsellor.{tenant.lower()}").post("/api/v1/sync", {"items": items},
                                                          format="json")
    assert answer.json()["summary"] == {"created": visits + 1}
    return centre


def test_replay_fills_an_empty_store_and_a_second_replay_changes_nothing(
    clickhouse_database: str,
) -> None:
    _record("AL", 12)
    _record("BA", 5)
    assert reconcile(tenants=["AL", "BA"], database=clickhouse_database)[1]  # empty: differs
    first = replay(database=clickhouse_database)
    assert (first.visits, first.sessions, first.referrals) == (17, 0, 0)
    # 14 tenant-days: AL visited on 9 days, BA on 5.
    assert reconcile(tenants=["AL", "BA"], database=clickhouse_database) == (14, [])
    replay(database=clickhouse_database)
    assert reconcile(tenants=["AL", "BA"], database=clickhouse_database) == (14, [])


def test_rebuild_drops_what_postgresql_never_had_and_keeps_what_was_streamed(
    clickhouse_database: str,
) -> None:
    _record("AL", 6)
    stream_outbox(clickhouse_database, ("AL",))
    client = clickhouse_client(clickhouse_database)
    client.execute(  # a stray row: a fact no visit in PostgreSQL stands behind
        "INSERT INTO visit_facts (tenant_id, visit_id, version, recorded_date, visit_date, "
        "occurred_at, client_pseudonym, ingested_at) SELECT tenant_id, 'stray', 1, "
        "recorded_date, visit_date, occurred_at, 'nobody', toDateTime('2020-01-01 00:00:00') "
        "FROM visit_facts LIMIT 1")
    assert reconcile(tenants=["AL"], database=clickhouse_database)[1]
    replay(database=clickhouse_database)  # an upsert cannot remove it
    assert reconcile(tenants=["AL"], database=clickhouse_database)[1]
    replay(database=clickhouse_database, rebuild=True)
    compared, differences = reconcile(tenants=["AL"], database=clickhouse_database)
    assert differences == [], differences
    tables = {name for (name,) in client.execute("SHOW TABLES")}
    assert not {t for t in tables if t.endswith(("_rebuild", "_replaced"))}


def _referral_facts(database: str) -> set[tuple[object, ...]]:
    """Every referral fact as it reads, less what differs between deliveries of one step."""
    names = ", ".join(name for name, _ in REFERRAL_FACT_COLUMNS if name != "event_id")
    return set(clickhouse_client(database).execute(
        f"SELECT {names} FROM {REFERRAL_FACTS_TABLE} FINAL"))  # noqa: S608 - constants


def test_replayed_referral_facts_are_the_streamed_ones(clickhouse_database: str) -> None:
    require_component("keycloak")
    mix = make_referrals()
    stream_outbox(clickhouse_database, ("AL",))
    streamed = _referral_facts(clickhouse_database)
    assert {fact[1] for fact in streamed} == set(mix.sent)  # drafts have no facts

    result = replay(database=clickhouse_database, rebuild=True)
    assert result.referrals == len(mix.sent)
    assert _referral_facts(clickhouse_database) == streamed
    replay(database=clickhouse_database)
    assert _referral_facts(clickhouse_database) == streamed
    assert reconcile(tenants=["AL"], database=clickhouse_database)[1] == []
