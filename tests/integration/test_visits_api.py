"""Visits through the API: recorded with the client's profile at the time, tenant-scoped."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from intake.models import Centre, Client, Visit
from services.tenancy.context import tenant_transaction
from tests.conftest import require_component
from tests.integration.keycloak_helpers import as_user

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture
def world() -> dict[str, Any]:
    require_component("postgres")
    require_component("keycloak")
    made: dict[str, Any] = {}
    for tenant in ("AL", "RS"):
        with tenant_transaction(tenant):
            made[f"centre_{tenant}"] = Centre.objects.create(
                tenant_id=tenant, name=f"Centre {tenant}", municipality_code="1")
        response = as_user(f"counsellor.{tenant.lower()}").post("/api/v1/clients", {
            "given_name": "Arta", "family_name": "Hoxha", "sex": "female", "birth_year": 1980,
            "birth_date": "1980-09-15", "citizenship": tenant, "category": "national",
            "municipality_code": "M1", "urban": False, "education_level": "isced6",
            "employment_status": "employed", "migration_intention": "study",
            "consent": {"given_at": "2026-11-01T08:00:00Z", "scope": "service"},
        }, format="json")
        assert response.status_code == 201, response.content
        made[f"client_{tenant}"] = response.json()["id"]
    return made


def _visit(world: dict[str, Any], tenant: str = "AL", **overrides: Any) -> dict[str, Any]:
    body = {"client_id": world[f"client_{tenant}"], "centre_id": str(world[f"centre_{tenant}"].id),
            "occurred_at": "2008-07-01T10:00:00Z", "channel": "in_person",
            "services": ["information", "counselling"], "topics": ["visas"],
            "destinations_discussed": ["IT"]}
    body.update(overrides)
    return body


def test_visit_keeps_the_client_profile_of_that_day(world: dict[str, Any]) -> None:
    response = as_user("counsellor.al").post("/api/v1/visits", _visit(world), format="json")
    assert response.status_code == 201, response.content
    with tenant_transaction("AL"):
        visit = Visit.objects.get(id=response.json()["id"])
        profile = visit.client_profile
    assert (profile["age_years"], profile["age_band"], profile["category"]) == (
        27, "25-34", "national")
    assert "Arta" not in str(profile) and "Hoxha" not in str(profile)
    assert visit.services == ["counselling", "information"]


def test_client_of_another_tenant_is_refused(world: dict[str, Any]) -> None:
    body = _visit(world, client_id=world["client_RS"])
    response = as_user("counsellor.al").post("/api/v1/visits", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"client_id": ["no such client in your tenant"]}
    with tenant_transaction("RS"):
        assert Visit.objects.count() == 0


def test_bad_input_is_400_with_fields(world: dict[str, Any]) -> None:
    body = _visit(world, services=[], channel="pigeon", destinations_discussed=["Italy"])
    response = as_user("counsellor.al").post("/api/v1/visits", body, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"services", "channel",
                                                       "destinations_discussed"}


def test_list_is_tenant_scoped_and_partners_are_refused(world: dict[str, Any]) -> None:
    for tenant in ("AL", "RS"):
        as_user(f"counsellor.{tenant.lower()}").post("/api/v1/visits", _visit(world, tenant),
                                                     format="json")
    listed = as_user("counsellor.al").get("/api/v1/visits").json()["results"]
    assert [v["client_id"] for v in listed] == [world["client_AL"]]
    assert as_user("partner.al").get("/api/v1/visits").status_code == 403
    assert as_user("counsellor.al").get("/api/v1/visits?client_id=x").status_code == 400


def test_retried_visit_is_recorded_once(world: dict[str, Any]) -> None:
    key = str(uuid.uuid4())
    for _ in range(3):
        response = as_user("counsellor.al").post("/api/v1/visits", _visit(world), format="json",
                                                 HTTP_IDEMPOTENCY_KEY=key)
        assert response.status_code == 201
    with tenant_transaction("AL"):
        assert Visit.objects.count() == 1
        assert Client.objects.count() == 1


def _session(world: dict[str, Any], attendees: list[str]) -> dict[str, Any]:
    return {"centre_id": str(world["centre_AL"].id), "topic": "CV preparation",
            "held_at": "2008-07-10T14:00:00Z", "facilitators": ["Ana"],
            "partner_institution": "Skopje training centre", "attendee_ids": attendees}


def test_group_session_attendance_counts_as_counselling_visits(world: dict[str, Any]) -> None:
    second = as_user("counsellor.al").post("/api/v1/clients", {
        "given_name": "Besnik", "family_name": "Gashi", "sex": "male", "birth_year": 1990,
        "citizenship": "AL", "category": "returnee", "municipality_code": "M2", "urban": True,
        "education_level": "isced3", "employment_status": "unemployed",
        "migration_intention": "labour",
        "consent": {"given_at": "2026-11-01T08:00:00Z", "scope": "service"},
    }, format="json").json()["id"]
    attendees = [world["client_AL"], second]
    assert as_user("counsellor.al").post(
        "/api/v1/group-sessions", _session(world, attendees), format="json").status_code == 403
    response = as_user("manager.al").post("/api/v1/group-sessions", _session(world, attendees),
                                          format="json")
    assert response.status_code == 201, response.content
    assert response.json()["attendee_ids"] == sorted(attendees)
    with tenant_transaction("AL"):
        visits = Visit.objects.filter(group_session_id=response.json()["id"])
        assert sorted(str(v.client_id) for v in visits) == sorted(attendees)
        assert {tuple(v.services) for v in visits} == {("counselling",)}


def test_group_session_with_a_foreign_attendee_is_refused(world: dict[str, Any]) -> None:
    response = as_user("manager.al").post(
        "/api/v1/group-sessions", _session(world, [world["client_RS"]]), format="json")
    assert response.status_code == 400
    with tenant_transaction("AL"):
        assert Visit.objects.count() == 0


def test_every_change_writes_pseudonymised_events_in_its_transaction(
    world: dict[str, Any],
) -> None:
    from services.outbox.models import OutboxEvent

    visit = as_user("counsellor.al").post("/api/v1/visits", _visit(world), format="json")
    assert visit.status_code == 201
    client_url = f"/api/v1/clients/{world['client_AL']}"
    assert as_user("admin.al").post(f"{client_url}/erase").status_code == 204
    with tenant_transaction("AL"):
        rows = list(OutboxEvent.objects.order_by("sequence"))
    types = [row.event_type for row in rows]
    assert types == ["org.msc.intake.client.registered.v1", "org.msc.intake.visit.recorded.v1",
                     "org.msc.intake.client.erased.v1"]
    everything = json.dumps([row.envelope for row in rows])
    for personal in ("Arta", "Hoxha", "1980-09-15", world["client_AL"]):
        assert personal not in everything
    assert rows[1].envelope["data"]["profile"]["age_band"] == "25-34"
    assert rows[1].partition_key == f"AL:{visit.json()['id']}"


def _recorded(world: dict[str, Any]) -> dict[str, Any]:
    response = as_user("counsellor.al").post("/api/v1/visits", _visit(world), format="json")
    assert response.status_code == 201, response.content
    return dict(response.json())


def test_correction_needs_the_current_version_and_emits_a_corrected_event(
    world: dict[str, Any],
) -> None:
    from services.outbox.models import OutboxEvent

    visit = _recorded(world)
    url = f"/api/v1/visits/{visit['id']}"
    counsellor = as_user("counsellor.al")
    assert counsellor.get(url).json()["version"] == 1
    body = {"services": ["referral"], "occurred_at": "2009-07-01T10:00:00Z"}
    assert counsellor.patch(url, body, format="json").status_code == 428
    corrected = counsellor.patch(url, body, format="json", HTTP_IF_MATCH='"1"')
    assert corrected.status_code == 200, corrected.content
    assert (corrected.json()["version"], corrected.json()["services"]) == (2, ["referral"])
    assert corrected["ETag"] == '"2"'
    stale = counsellor.patch(url, {"note": "late"}, format="json", HTTP_IF_MATCH='"1"')
    assert stale.status_code == 409
    assert stale.json()["error"]["current_version"] == 2
    with tenant_transaction("AL"):
        row = Visit.objects.get(id=visit["id"])
        event = OutboxEvent.objects.filter(event_type="org.msc.intake.visit.corrected.v1").get()
    assert (row.note, row.client_profile["age_years"]) == ("", 28)
    assert event.envelope["aggregateversion"] == 2
    assert event.envelope["data"]["visit_date"] == "2009-07-01"
    assert event.envelope["data"]["profile"]["age_years"] == 28


def test_correction_rejects_the_client_and_read_only_fields(world: dict[str, Any]) -> None:
    visit = _recorded(world)
    url = f"/api/v1/visits/{visit['id']}"
    counsellor = as_user("counsellor.al")
    for body in ({"client_id": world["client_AL"]}, {"version": 5}, {"tenant_id": "RS"}, {}):
        response = counsellor.patch(url, body, format="json", HTTP_IF_MATCH='"1"')
        assert response.status_code == 400, (body, response.content)
    foreign_centre = {"centre_id": str(world["centre_RS"].id)}
    response = counsellor.patch(url, foreign_centre, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 400
    assert as_user("counsellor.rs").get(url).status_code == 404
    with tenant_transaction("AL"):
        assert Visit.objects.get(id=visit["id"]).version == 1
