"""Bulk sync: each item answered alone; a resent batch creates nothing twice."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connections

from intake.models import Centre, Client, SyncItem, Visit
from services.outbox.models import OutboxEvent
from services.tenancy.context import tenant_transaction
from tests.conftest import require_component
from tests.integration.keycloak_helpers import as_user

pytestmark = [pytest.mark.integration]

CONSENT = {"given_at": "2026-11-01T08:00:00Z", "scope": "service"}


def _client(given: str, family: str, **overrides: Any) -> dict[str, Any]:
    body = {"given_name": given, "family_name": family, "sex": "male", "birth_year": 1979,
            "citizenship": "AL", "category": "returnee", "municipality_code": "M1",
            "urban": True, "education_level": "isced3", "employment_status": "unemployed",
            "migration_intention": "labour", "consent": CONSENT}
    body.update(overrides)
    return body


def _visit(centre_id: str, **client_ref: str) -> dict[str, Any]:
    return {"centre_id": centre_id, "occurred_at": "2008-08-01T09:00:00Z",
            "channel": "in_person", "services": ["information"], **client_ref}


@pytest.fixture
def centre() -> str:
    require_component("postgres")
    require_component("keycloak")
    with tenant_transaction("AL"):
        made = Centre.objects.create(tenant_id="AL", name="Tirana MSC", municipality_code="1")
    return str(made.id)


def _counts() -> tuple[int, int, int, int]:
    with tenant_transaction("AL"):
        return (Client.objects.count(), Visit.objects.count(), SyncItem.objects.count(),
                OutboxEvent.objects.count())


@pytest.mark.django_db
def test_each_item_is_answered_and_a_resent_batch_creates_nothing(centre: str) -> None:
    items = [
        {"kind": "client", "key": "c-1", "data": _client("Ilir", "Krasniqi")},
        {"kind": "visit", "key": "v-1", "data": _visit(centre, client_key="c-1")},
        {"kind": "visit", "key": "v-2", "data": _visit(centre, client_key="c-unknown")},
        {"kind": "visit", "key": "v-3", "data": {**_visit(centre, client_key="c-1"),
                                                 "channel": "pigeon"}},
        {"kind": "visit", "key": "v-1", "data": _visit(centre, client_key="c-1")},
        {"kind": "client", "key": "c-2", "data": _client("Drita", "Berisha", consent=None)},
        {"kind": "parcel", "key": "p-1", "data": {}},
    ]
    first = as_user("counsellor.al").post("/api/v1/sync", {"items": items}, format="json")
    assert first.status_code == 200, first.content
    results = first.json()["results"]
    assert [r["status"] for r in results] == [
        "created", "created", "invalid", "invalid", "invalid", "invalid", "invalid"]
    assert results[2]["errors"] == {"client_key": ["no such client in your tenant"]}
    assert set(results[3]["errors"]) == {"data.channel"}
    assert results[4]["errors"] == {"key": ["appears more than once in this batch"]}
    assert set(results[5]["errors"]) == {"data.consent"}
    assert set(results[6]["errors"]) == {"kind"}
    assert first.json()["summary"] == {"created": 2, "invalid": 5}
    with tenant_transaction("AL"):
        visit = Visit.objects.get(id=results[1]["id"])
    assert str(visit.client_id) == results[0]["id"]
    assert visit.client_profile["category"] == "returnee"
    before = _counts()
    assert before == (1, 1, 2, 2)

    again = as_user("counsellor.al").post("/api/v1/sync", {"items": items[:2]}, format="json")
    assert [(r["status"], r["id"]) for r in again.json()["results"]] == [
        ("duplicate", results[0]["id"]), ("duplicate", results[1]["id"])]
    assert _counts() == before


@pytest.mark.django_db
def test_a_later_batch_names_a_client_by_its_key_or_id(centre: str) -> None:
    counsellor = as_user("counsellor.al")
    first = counsellor.post("/api/v1/sync", {"items": [
        {"kind": "client", "key": "c-1", "data": _client("Ilir", "Krasniqi")}]}, format="json")
    client_id = first.json()["results"][0]["id"]
    later = counsellor.post("/api/v1/sync", {"items": [
        {"kind": "visit", "key": "v-1", "data": _visit(centre, client_key="c-1")},
        {"kind": "visit", "key": "v-2", "data": _visit(centre, client_id=client_id)},
        {"kind": "visit", "key": "c-1", "data": _visit(centre, client_id=client_id)},
        {"kind": "visit", "key": "v-3", "data": _visit(centre, client_id=client_id,
                                                       client_key="c-1")},
    ]}, format="json").json()["results"]
    assert [r["status"] for r in later] == ["created", "created", "invalid", "invalid"]
    assert later[2]["errors"] == {"key": ["this key was already used for a client"]}
    with tenant_transaction("AL"):
        assert Visit.objects.filter(client_id=client_id).count() == 2


@pytest.mark.django_db
def test_a_probable_duplicate_client_needs_confirmation(centre: str) -> None:
    counsellor = as_user("counsellor.al")
    counsellor.post("/api/v1/sync", {"items": [
        {"kind": "client", "key": "c-1", "data": _client("Ilir", "Krasniqi")}]}, format="json")
    cyrillic = _client("Илир", "Краснићи")
    result = counsellor.post("/api/v1/sync", {"items": [
        {"kind": "client", "key": "c-2", "data": cyrillic}]}, format="json").json()["results"][0]
    assert result["status"] == "possible_duplicate"
    assert [c["family_name"] for c in result["candidates"]] == ["Krasniqi"]
    confirmed = counsellor.post("/api/v1/sync", {"items": [
        {"kind": "client", "key": "c-2", "data": {**cyrillic, "confirm_new": True}}]},
        format="json").json()["results"][0]
    assert confirmed["status"] == "created"


@pytest.mark.django_db
def test_limits_roles_and_tenants(centre: str) -> None:
    item = {"kind": "visit", "key": "v", "data": _visit(centre, client_key="c")}
    too_many = [{**item, "key": f"v-{n}"} for n in range(1001)]
    response = as_user("counsellor.al").post("/api/v1/sync", {"items": too_many}, format="json")
    assert response.status_code == 400
    assert "items" in response.json()["error"]["fields"]
    assert as_user("counsellor.al").post("/api/v1/sync", {"items": []},
                                         format="json").status_code == 400
    assert as_user("partner.al").post("/api/v1/sync", {"items": [item]},
                                      format="json").status_code == 403
    assert as_user("regional.monitor").post("/api/v1/sync", {"items": [item]},
                                            format="json").status_code == 403
    created = as_user("counsellor.al").post("/api/v1/sync", {"items": [
        {"kind": "client", "key": "c-al", "data": _client("Ilir", "Krasniqi")}]}, format="json")
    al_client = created.json()["results"][0]["id"]
    foreign = as_user("counsellor.rs").post("/api/v1/sync", {"items": [
        {"kind": "visit", "key": "v-rs", "data": _visit(centre, client_id=al_client)},
        {"kind": "visit", "key": "c-al", "data": _visit(centre, client_key="c-al")},
    ]}, format="json").json()["results"]
    assert [r["status"] for r in foreign] == ["invalid", "invalid"]
    assert foreign[0]["errors"] == {"client_id": ["no such client in your tenant"],
                                    "centre_id": ["no such active centre in your tenant"]}
    assert al_client not in str(foreign)


@pytest.mark.django_db(transaction=True)
def test_two_racing_copies_of_a_batch_create_each_visit_once(centre: str) -> None:
    client = as_user("counsellor.al").post("/api/v1/sync", {"items": [
        {"kind": "client", "key": "c-1", "data": _client("Ilir", "Krasniqi")}]},
        format="json").json()["results"][0]["id"]
    items = [{"kind": "visit", "key": str(uuid.uuid4()), "data": _visit(centre, client_id=client)}
             for _ in range(300)]

    def send(_: int) -> list[str]:
        try:
            response = as_user("counsellor.al").post("/api/v1/sync", {"items": items},
                                                     format="json")
            assert response.status_code == 200, response.content
            return [r["status"] for r in response.json()["results"]]
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=3) as pool:
        answers = list(pool.map(send, range(3)))
    assert (answers[0] + answers[1] + answers[2]).count("created") == 300
    with tenant_transaction("AL"):
        assert Visit.objects.count() == 300
        events = OutboxEvent.objects.filter(event_type__endswith="visit.recorded.v1")
        assert events.count() == 300
        OutboxEvent.objects.all().delete()  # committed rows: leave no backlog to later tests
