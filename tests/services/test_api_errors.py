"""The one error format, also where Django answers before any view: a path that does not match
(a malformed id) answers exactly like a missing record, a bad request and a crash are JSON under
/api/, the pages keep their own; a body too large is 413."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.test import Client, RequestFactory, override_settings
from django.views import defaults

from intake.models import Client as ClientRecord
from services.api.errors import api_or_page
from services.tenancy.context import tenant_transaction
from tests.conftest import require_component
from tests.integration.keycloak_helpers import as_user

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

NOT_FOUND = {"error": {"status": 404, "code": "not_found", "message": "not found"}}
# Record paths of every kind, each with the id in its place: `{}`.
RECORD_PATHS = ["/api/v1/clients/{}", "/api/v1/clients/{}/erase", "/api/v1/centres/{}",
                "/api/v1/visits/{}", "/api/v1/referrals/{}", "/api/v1/directory/services/{}",
                "/api/v1/webhooks/{}/deliveries", "/api/v1/notifications/{}/read"]
MALFORMED_IDS = ["not-a-uuid", "1234", "00000000-0000-0000-0000-00000000000g", "%2e%2e"]


@pytest.fixture(autouse=True)
def stack() -> None:
    require_component("postgres")
    require_component("keycloak")


def _get_or_post(client: Any, path: str) -> Any:
    method = "post" if path.endswith(("/erase", "/read")) else "get"
    return getattr(client, method)(path)


@pytest.mark.parametrize("template", RECORD_PATHS)
def test_a_malformed_id_answers_exactly_like_a_missing_record(template: str) -> None:
    admin = as_user("admin.al")
    missing_id = "999999" if "notifications" in template else str(uuid.uuid4())
    missing = _get_or_post(admin, template.format(missing_id))
    assert missing.status_code == 404
    assert missing.json() == NOT_FOUND
    for malformed_id in MALFORMED_IDS:
        malformed = _get_or_post(admin, template.format(malformed_id))
        assert malformed.status_code == 404, (malformed_id, malformed.content[:200])
        assert malformed["Content-Type"] == "application/json"
        assert malformed.json() == missing.json()


def test_another_tenants_record_answers_like_a_malformed_id() -> None:
    created = as_user("counsellor.rs").post("/api/v1/clients", {
        "given_name": "Jelena", "family_name": "Petrović", "sex": "female", "birth_year": 1991,
        "citizenship": "RS", "category": "returnee", "municipality_code": "RS-70092",
        "urban": True, "education_level": "isced3", "employment_status": "unemployed",
        "migration_intention": "labour", "confirm_new": True,
        "consent": {"given_at": "2026-11-02T09:00:00Z", "scope": "service"}}, format="json")
    assert created.status_code == 201, created.content
    foreign = as_user("counsellor.al").get(f"/api/v1/clients/{created.json()['id']}")
    malformed = as_user("counsellor.al").get("/api/v1/clients/not-a-uuid")
    assert foreign.status_code == malformed.status_code == 404
    assert foreign.json() == malformed.json() == NOT_FOUND


def test_no_such_api_path_is_the_error_body_with_or_without_a_token() -> None:
    for client in (Client(), as_user("counsellor.al")):
        for path in ("/api/v1/nothing", "/api/v1/clients/not-a-uuid", "/api/v2/clients"):
            response = client.get(path)
            assert response.status_code == 404
            assert response.json() == NOT_FOUND


def test_pages_keep_their_own_not_found_page() -> None:
    response = Client().get("/no-such-page")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_bad_host_is_the_error_body_under_the_api_only() -> None:
    api = Client(HTTP_HOST="evil.example").get("/api/v1/me")
    assert api.status_code == 400
    assert api.json() == {"error": {"status": 400, "code": "bad_request",
                                    "message": "bad request"}}
    page = Client(HTTP_HOST="evil.example").get("/")
    assert page.status_code == 400
    assert page["Content-Type"].startswith("text/html")


def test_a_crash_is_the_error_body_under_the_api_only() -> None:
    handler = api_or_page(500, defaults.server_error)
    api = handler(RequestFactory().get("/api/v1/clients"))
    assert api.status_code == 500
    assert api["Content-Type"] == "application/json"
    assert b'"code": "server_error"' in api.content
    assert handler(RequestFactory().get("/clients"))["Content-Type"].startswith("text/html")


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_a_body_too_large_is_413_and_changes_nothing() -> None:
    body = {"given_name": "x" * 2000, "family_name": "Hoxha"}
    response = as_user("counsellor.al").post("/api/v1/clients", body, format="json")
    assert response.status_code == 413
    assert response.json() == {"error": {
        "status": 413, "code": "payload_too_large",
        "message": "the request body may be at most 1000 bytes"}}
    with tenant_transaction("AL"):
        assert not ClientRecord.objects.filter(family_name="Hoxha").exists()
