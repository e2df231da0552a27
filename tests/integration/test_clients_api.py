"""Clients through the API: consent first, duplicates across scripts, audited reads, stale edits,
erasure, and other tenants' records answering like missing ones."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from intake.models import AuditEntry, Client
from services.tenancy.context import tenant_transaction
from tests.conftest import require_component
from tests.integration.keycloak_helpers import as_user

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

CONSENT = {"given_at": "2026-11-02T09:00:00Z", "scope": "service"}


@pytest.fixture(autouse=True)
def stack() -> None:
    require_component("postgres")
    require_component("keycloak")



def _client_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "given_name": "Marko", "family_name": "Đorđević", "sex": "male", "birth_year": 1984,
        "citizenship": "RS", "category": "returnee", "municipality_code": "RS-70092",
        "urban": True, "education_level": "isced3", "employment_status": "unemployed",
        "migration_intention": "labour", "preferred_destinations": ["DE", "AT"],
        "phone": "+381 64 000 000", "stays": [{"country": "DE", "purpose": "asylum"}],
        "consent": CONSENT,
    }
    body.update(overrides)
    return body


def _register(username: str = "counsellor.rs", **overrides: Any) -> Any:
    return as_user(username).post("/api/v1/clients", _client_body(**overrides), format="json")


def test_register_and_read_back() -> None:
    created = _register()
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["family_name"], body["version"], body["stays"]) == (
        "Đorđević", 1, [{"country": "DE", "purpose": "asylum", "year_from": None,
                         "year_to": None}])
    read = as_user("counsellor.rs").get(f"/api/v1/clients/{body['id']}")
    assert read.status_code == 200 and read["ETag"] == '"1"'


def test_consent_is_required() -> None:
    response = _register(consent=None)
    assert response.status_code == 400
    assert "consent" in response.json()["error"]["fields"]
    with tenant_transaction("RS"):
        assert Client.objects.count() == 0


def test_cyrillic_spelling_of_an_existing_client_is_a_probable_duplicate() -> None:
    first = _register()
    duplicate = _register(given_name="Марко", family_name="Ђорђевић")
    assert duplicate.status_code == 409
    error = duplicate.json()["error"]
    assert error["code"] == "possible_duplicate"
    assert [c["id"] for c in error["candidates"]] == [first.json()["id"]]
    confirmed = _register(given_name="Марко", family_name="Ђорђевић", confirm_new=True)
    assert confirmed.status_code == 201


def test_search_finds_latin_with_cyrillic_query_and_is_audited() -> None:
    created = _register().json()
    found = as_user("counsellor.rs").get("/api/v1/clients", {"q": "ђорђевић"}).json()
    assert [c["id"] for c in found["results"]] == [created["id"]]
    with tenant_transaction("RS"):
        actions = sorted(AuditEntry.objects.filter(client_id=created["id"])
                         .values_list("action", flat=True))
    assert actions == ["create", "list"]


def test_other_tenant_cannot_see_change_or_list() -> None:
    created = _register().json()
    url = f"/api/v1/clients/{created['id']}"
    foreign = as_user("counsellor.al").get(url)
    missing = as_user("counsellor.al").get(f"/api/v1/clients/{uuid.uuid4()}")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()
    patch = as_user("counsellor.al").patch(url, {"phone": "1"}, format="json", HTTP_IF_MATCH='"1"')
    assert patch.status_code == 404
    assert as_user("counsellor.al").get("/api/v1/clients").json()["results"] == []
    assert as_user("admin.al").post(f"{url}/erase").status_code == 404


@pytest.mark.parametrize("username", ["partner.rs", "regional.monitor"])
def test_partner_and_regional_monitor_cannot_reach_personal_data(username: str) -> None:
    created = _register().json()
    client = as_user(username)
    assert client.get("/api/v1/clients").status_code == 403
    assert client.get(f"/api/v1/clients/{created['id']}").status_code == 403
    assert client.post("/api/v1/clients", _client_body(), format="json").status_code == 403


def test_stale_edit_gets_409() -> None:
    created = _register().json()
    url = f"/api/v1/clients/{created['id']}"
    first = as_user("counsellor.rs").patch(url, {"employment_status": "employed"}, format="json",
                                       HTTP_IF_MATCH='"1"')
    assert first.status_code == 200 and first.json()["version"] == 2
    stale = as_user("manager.rs").patch(url, {"phone": "+381 11"}, format="json",
                                    HTTP_IF_MATCH='"1"')
    assert stale.status_code == 409
    assert stale.json()["error"]["current_version"] == 2


@pytest.mark.parametrize(("birth_date", "reason"), [
    ("1008-10-24", "is before 1900"), ("2999-01-01", "is in the future"),
    ("1990-05-01", "does not match birth_year")])
def test_an_impossible_birth_date_is_refused_and_changes_nothing(birth_date: str,
                                                                 reason: str) -> None:
    """Found by the stateful fuzzer: a birth date a thousand years ago, sent alone in a PATCH,
    was stored and then failed the event's age check (500)."""
    created = _register().json()
    url = f"/api/v1/clients/{created['id']}"
    answer = as_user("counsellor.rs").patch(url, {"birth_date": birth_date}, format="json",
                                            HTTP_IF_MATCH='"1"')
    assert answer.status_code == 400, answer.content
    assert answer.json()["error"]["fields"] == {"birth_date": [reason]}
    assert as_user("counsellor.rs").get(url).json()["version"] == 1


def test_fields_the_caller_may_not_set_are_rejected() -> None:
    response = _register(tenant="AL", id=str(uuid.uuid4()), created_by="x")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"tenant", "id", "created_by"}


def test_idempotent_registration_creates_once() -> None:
    counsellor = as_user("counsellor.rs")
    first = counsellor.post("/api/v1/clients", _client_body(), format="json",
                            HTTP_IDEMPOTENCY_KEY="reg-1")
    retry = counsellor.post("/api/v1/clients", _client_body(), format="json",
                            HTTP_IDEMPOTENCY_KEY="reg-1")
    assert first.status_code == retry.status_code == 201
    assert first.json()["id"] == retry.json()["id"]
    with tenant_transaction("RS"):
        assert Client.objects.count() == 1


def test_erasure_leaves_no_personal_data() -> None:
    created = _register().json()
    url = f"/api/v1/clients/{created['id']}"
    assert as_user("counsellor.rs").post(f"{url}/erase").status_code == 403
    assert as_user("admin.rs").post(f"{url}/erase").status_code == 204
    assert as_user("counsellor.rs").get(url).status_code == 404
    with tenant_transaction("RS"):
        client = Client.objects.get(id=created["id"])
        personal = [client.given_name, client.family_name, client.name_key, client.phone,
                    client.email, client.address]
        assert personal == [""] * 6
        assert client.birth_date is None and client.birth_year == 0
        assert client.stays.count() == 0
    audit = as_user("admin.rs").get("/api/v1/audit", {"client_id": created["id"]}).json()
    assert [e["action"] for e in audit["results"]] == ["erase", "create"]
