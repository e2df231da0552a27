"""`services.bulk_insert.insert_rows` against the real PostgreSQL, as the application role."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import pytest
from django.db import DataError, ProgrammingError, transaction

from intake.models import Centre, Client, GroupSession, Visit
from services.bulk_insert import BulkInsertError, insert_rows
from services.outbox.models import OutboxEvent, bucket_of
from services.tenancy.context import activate_tenant
from services.tenancy.models import Tenant
from tests.conftest import require_component

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def postgres() -> None:
    require_component("postgres")


def _client_and_centre(tenant: str) -> tuple[Client, Centre]:
    activate_tenant(tenant)
    centre = Centre.objects.create(tenant=Tenant(code=tenant), name="Centre",
                                   municipality_code=f"{tenant}-1")
    client = Client.objects.create(
        tenant=Tenant(code=tenant), given_name="Ana", family_name="Hoxha", name_key="ana hoxha",
        sex="female", birth_year=1990, citizenship=tenant, category="national",
        municipality_code=f"{tenant}-1", urban=True, education_level="isced3",
        employment_status="unemployed", consent_given_at=datetime(2026, 1, 1, tzinfo=UTC),
        consent_recorded_by="counsellor", consent_scope="service", created_by="counsellor",
        updated_by="counsellor")
    return client, centre


def _visit(client: Client, centre: Centre, note: str = "",
           session: GroupSession | None = None) -> Visit:
    return Visit(tenant_id=client.tenant_id, client=client, centre=centre,
                 counsellor_subject="subject", counsellor_username="counsellor.al",
                 occurred_at=datetime(2026, 3, 4, 10, 30, tzinfo=timezone(timedelta(hours=2))),
                 channel="phone", services=["counselling", "information"], topics=["visas"],
                 destinations_discussed=["DE", "AT"], note=note, group_session=session,
                 version=3, client_profile={"category": "national", "stays": [["DE", "work"]]})


def _event(tenant: str, n: int) -> OutboxEvent:
    key = f"{tenant}:key-{n % 3}"
    return OutboxEvent(id=f"00000000-0000-4000-8000-{n:012d}", tenant_id=tenant,
                       topic="msc.intake.visits", partition_key=key, bucket=bucket_of(key),
                       event_type="test.event", envelope={"n": n, "nested": {"list": [n, None]}})


def _stored(visit_id: UUID) -> dict[str, Any]:
    """A visit's columns but its own: id, times of writing and the session it attended."""
    row = Visit.objects.filter(id=visit_id).values().get()
    return {name: value for name, value in row.items()
            if name not in ("id", "created_at", "updated_at", "group_session_id")}


def test_rows_are_stored_as_the_orm_stores_them() -> None:
    client, centre = _client_and_centre("AL")
    # A client attends a session once: each way of writing gets a session of its own.
    orm_session, json_session = (
        GroupSession.objects.create(tenant_id="AL", centre=centre, topic="CV",
                                    held_at=datetime(2026, 3, 4, tzinfo=UTC),
                                    created_by="manager.al") for _ in range(2))
    notes = ["", 'with "quotes", \\ and ünïcode ĐŽ']
    by_orm = Visit.objects.bulk_create(
        [_visit(client, centre, note, orm_session if note else None) for note in notes])
    by_json = [_visit(client, centre, note, json_session if note else None) for note in notes]

    insert_rows(by_json)

    assert [Visit.objects.get(id=v.id).group_session_id for v in by_json] == [
        None, json_session.id]
    for orm, written in zip(by_orm, by_json, strict=True):
        assert _stored(written.id) == _stored(orm.id)
        read = Visit.objects.get(id=written.id)
        assert read.occurred_at == datetime(2026, 3, 4, 8, 30, tzinfo=UTC)  # 10:30 at +02:00
        assert read.created_at == written.created_at  # set by auto_now_add, as in a save()
        assert not written._state.adding


def test_database_values_come_back_and_sequence_follows_list_order() -> None:
    activate_tenant("AL")
    events = [_event("AL", n) for n in reversed(range(50))]  # ids descending, list order wins

    insert_rows(events)

    stored = list(OutboxEvent.objects.filter(event_type="test.event").order_by("sequence"))
    assert [str(e.id) for e in stored] == [str(e.id) for e in events]
    assert {(e.attempts, e.last_error, e.published_at) for e in stored} == {(0, "", None)}
    assert stored[7].envelope == {"n": 42, "nested": {"list": [42, None]}}
    # The rows hold what the database gave them, as after bulk_create.
    assert [(e.sequence, e.created_at, e.attempts, e.last_error) for e in events] == [
        (e.sequence, e.created_at, e.attempts, e.last_error) for e in stored]


def test_row_level_security_refuses_a_row_of_another_tenant() -> None:
    client, centre = _client_and_centre("AL")
    activate_tenant("RS")

    with pytest.raises(ProgrammingError, match="row-level security"), transaction.atomic():
        insert_rows([_visit(client, centre)])


def test_a_constraint_violation_fails_the_whole_statement() -> None:
    client, centre = _client_and_centre("AL")
    first = _visit(client, centre)
    insert_rows([first])
    again = [_visit(client, centre), _visit(client, centre)]
    again[1].id = first.id

    with pytest.raises(Exception, match="duplicate key"), transaction.atomic():
        insert_rows(again)
    assert not Visit.objects.filter(id=again[0].id).exists()


def test_mixed_models_are_refused_and_a_too_long_value_fails_as_with_the_orm() -> None:
    client, centre = _client_and_centre("AL")

    with pytest.raises(BulkInsertError, match="one model"):
        insert_rows([_visit(client, centre), _event("AL", 1)])
    too_long = _visit(client, centre)
    too_long.channel = "x" * 11
    with pytest.raises(DataError), transaction.atomic():
        insert_rows([too_long])
    insert_rows([])
