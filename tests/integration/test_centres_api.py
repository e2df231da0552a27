"""Centres through the API: roles decide who may call, the tenant decides what is seen, retries
create nothing twice, stale edits get 409, and foreign records answer like missing ones."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from intake.models import Centre
from services.tenancy.context import tenant_transaction
from tests.conftest import require_component
from tests.integration.keycloak_helpers import as_user

pytestmark = [pytest.mark.integration, pytest.mark.django_db]




@pytest.fixture(autouse=True)
def centres() -> dict[str, Centre]:
    require_component("postgres")
    require_component("keycloak")
    made = {}
    for tenant, name in (("AL", "Tirana"), ("AL", "Korce"), ("RS", "Beograd")):
        with tenant_transaction(tenant):
            made[name] = Centre.objects.create(tenant_id=tenant, name=name, municipality_code="1")
    return made


def _names(body: Any) -> list[str]:
    return sorted(c["name"] for c in body["results"])


def test_counsellor_lists_only_own_tenant_centres() -> None:
    assert _names(as_user("counsellor.al").get("/api/v1/centres").json()) == ["Korce", "Tirana"]
    assert _names(as_user("counsellor.rs").get("/api/v1/centres").json()) == ["Beograd"]


def test_list_is_cursor_paginated() -> None:
    first = as_user("counsellor.al").get("/api/v1/centres?page_size=1").json()
    assert len(first["results"]) == 1 and first["next"]
    second = as_user("counsellor.al").get(first["next"]).json()
    assert len(second["results"]) == 1
    assert {first["results"][0]["name"], second["results"][0]["name"]} == {"Korce", "Tirana"}


@pytest.mark.parametrize("username", ["partner.al", "regional.monitor"])
def test_valid_token_without_the_role_is_403(username: str) -> None:
    response = as_user(username).get("/api/v1/centres")
    assert response.status_code == 403
    body = response.json()
    assert body["error"]["code"] == "permission_denied"
    assert "requires one of the roles" in body["error"]["message"]


def test_counsellor_may_read_but_not_create() -> None:
    response = as_user("counsellor.al").post(
        "/api/v1/centres", {"name": "Vlore", "municipality_code": "AL-12", "kind": "msc"},
        format="json")
    assert response.status_code == 403


def test_foreign_centre_answers_exactly_like_a_missing_one(centres: dict[str, Centre]) -> None:
    foreign = as_user("manager.al").get(f"/api/v1/centres/{centres['Beograd'].id}")
    missing = as_user("manager.al").get(f"/api/v1/centres/{uuid.uuid4()}")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()
    patch = as_user("manager.al").patch(f"/api/v1/centres/{centres['Beograd'].id}",
                                        {"active": False}, format="json", HTTP_IF_MATCH='"1"')
    assert patch.status_code == 404


def test_create_with_idempotency_key_creates_once_and_replays() -> None:
    manager = as_user("manager.al")
    body = {"name": "Shkoder", "municipality_code": "AL-08", "kind": "msc"}
    first = manager.post("/api/v1/centres", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    retry = manager.post("/api/v1/centres", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    with tenant_transaction("AL"):
        assert Centre.objects.filter(name="Shkoder").count() == 1
    other = manager.post("/api/v1/centres", {**body, "name": "Fier"}, format="json",
                         HTTP_IDEMPOTENCY_KEY="k-1")
    assert other.status_code == 422


def test_fields_the_caller_may_not_set_are_rejected() -> None:
    response = as_user("manager.al").post(
        "/api/v1/centres",
        {"name": "Berat", "municipality_code": "AL-01", "kind": "msc", "tenant": "RS",
         "version": 7}, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"tenant", "version"}


def test_bad_input_gets_field_messages() -> None:
    response = as_user("manager.al").post("/api/v1/centres", {"kind": "castle"}, format="json")
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"name", "municipality_code", "kind"}


def test_stale_edit_gets_409_with_the_current_version(centres: dict[str, Centre]) -> None:
    url = f"/api/v1/centres/{centres['Tirana'].id}"
    manager = as_user("manager.al")
    read = manager.get(url)
    assert read["ETag"] == '"1"'
    first = manager.patch(url, {"active": False}, format="json", HTTP_IF_MATCH=read["ETag"])
    assert first.status_code == 200 and first.json()["version"] == 2
    stale = manager.patch(url, {"name": "Tirana 2"}, format="json", HTTP_IF_MATCH=read["ETag"])
    assert stale.status_code == 409
    assert stale.json()["error"]["current_version"] == 2
    missing = manager.patch(url, {"name": "Tirana 2"}, format="json")
    assert missing.status_code == 428
