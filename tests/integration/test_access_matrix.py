"""Every operation of the OpenAPI schema × every role × a foreign tenant's records.

The table below says which roles may call each operation; an operation missing from it fails the
first test, so a new endpoint cannot be forgotten. Callers of AL aim at RS records: nothing of RS
may ever come back, and roles outside the table get 403.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from drf_spectacular.generators import SchemaGenerator

from intake.models import Centre, Client, Visit
from referrals.models import Notification, Referral, Service
from services.tenancy.context import tenant_transaction
from tests.conftest import require_component
from tests.integration.keycloak_helpers import as_user
from tests.referral_world import make_world, refer

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

STAFF = {"counsellor", "centre_manager", "tenant_admin"}
EDITORS = {"centre_manager", "tenant_admin"}
ADMINS = {"tenant_admin"}
EVERYONE = STAFF | {"partner", "regional_monitor"}
DIRECTORY_EDITORS = {"tenant_admin", "regional_monitor"}

ACCESS: dict[tuple[str, str], set[str]] = {
    ("get", "/api/v1/me"): EVERYONE,
    ("get", "/api/v1/audit"): ADMINS,
    ("get", "/api/v1/centres"): STAFF,
    ("post", "/api/v1/centres"): EDITORS,
    ("get", "/api/v1/centres/{centre_id}"): STAFF,
    ("patch", "/api/v1/centres/{centre_id}"): EDITORS,
    ("get", "/api/v1/clients"): STAFF,
    ("post", "/api/v1/clients"): STAFF,
    ("get", "/api/v1/clients/{client_id}"): STAFF,
    ("patch", "/api/v1/clients/{client_id}"): STAFF,
    ("post", "/api/v1/clients/{client_id}/erase"): ADMINS,
    ("get", "/api/v1/group-sessions"): STAFF,
    ("post", "/api/v1/group-sessions"): EDITORS,
    ("get", "/api/v1/visits"): STAFF,
    ("post", "/api/v1/visits"): STAFF,
    ("post", "/api/v1/sync"): STAFF,
    ("get", "/api/v1/stats/summary"): STAFF | {"regional_monitor"},
    ("get", "/api/v1/visits/{visit_id}"): STAFF,
    ("patch", "/api/v1/visits/{visit_id}"): STAFF,
    ("get", "/api/v1/directory/services"): EVERYONE,
    ("get", "/api/v1/directory/services/{service_id}"): EVERYONE,
    ("patch", "/api/v1/directory/services/{service_id}"): DIRECTORY_EDITORS,
    ("get", "/api/v1/directory/organizations"): EVERYONE,
    ("get", "/api/v1/directory/organizations/{organization_id}"): EVERYONE,
    ("get", "/api/v1/directory/service_at_locations"): EVERYONE,
    ("get", "/api/v1/directory/taxonomies"): EVERYONE,
    ("get", "/api/v1/directory/taxonomy_terms"): EVERYONE,
    ("get", "/api/v1/directory/export"): DIRECTORY_EDITORS | {"centre_manager"},
    ("post", "/api/v1/directory/import"): DIRECTORY_EDITORS,
    ("get", "/api/v1/routing/settings"): STAFF,
    ("put", "/api/v1/routing/settings"): ADMINS,
    ("post", "/api/v1/routing/suggestions"): STAFF,
    ("get", "/api/v1/referrals"): STAFF | {"partner"},
    ("post", "/api/v1/referrals"): STAFF,
    ("get", "/api/v1/referrals/{referral_id}"): STAFF | {"partner"},
    ("post", "/api/v1/referrals/{referral_id}/{action}"): STAFF | {"partner"},
    ("get", "/api/v1/notifications"): STAFF | {"partner"},
    ("post", "/api/v1/notifications/{notification_id}/read"): STAFF | {"partner"},
    ("get", "/api/v1/webhooks"): ADMINS | {"partner"},
    ("post", "/api/v1/webhooks"): ADMINS | {"partner"},
    ("get", "/api/v1/webhooks/{webhook_id}/deliveries"): ADMINS | {"partner"},
}
# Query strings an operation needs to answer 200 at all.
QUERIES = {"/api/v1/stats/summary": "?from=2008-07-01&to=2008-07-31"}
USERS = {"counsellor.al": {"counsellor"}, "manager.al": {"centre_manager"},
         "admin.al": {"counsellor", "centre_manager", "tenant_admin"},
         "partner.al": {"partner"}, "regional.monitor": {"regional_monitor"}}


def _operations() -> list[tuple[str, str]]:
    generator = SchemaGenerator()  # type: ignore[no-untyped-call]
    schema = generator.get_schema(request=None, public=True)  # type: ignore[no-untyped-call]
    schema = yaml.safe_load(yaml.safe_dump(schema))
    return sorted((method, path) for path, ops in schema["paths"].items() for method in ops)


def test_every_operation_has_an_access_rule() -> None:
    assert _operations() == sorted(ACCESS)


@pytest.fixture
def foreign() -> dict[str, str]:
    """Records of RS that AL callers aim at."""
    require_component("postgres")
    require_component("keycloak")
    with tenant_transaction("RS"):
        centre = Centre.objects.create(tenant_id="RS", name="Novi Sad", municipality_code="1")
    response = as_user("counsellor.rs").post("/api/v1/clients", {
        "given_name": "Jelena", "family_name": "Petrović", "sex": "female", "birth_year": 1985,
        "citizenship": "RS", "category": "national", "municipality_code": "RS-1",
        "urban": True, "education_level": "isced7", "employment_status": "employed",
        "migration_intention": "none",
        "consent": {"given_at": "2026-11-01T08:00:00Z", "scope": "service"},
    }, format="json")
    assert response.status_code == 201
    client_id = response.json()["id"]
    visit = as_user("counsellor.rs").post("/api/v1/visits", {
        "client_id": client_id, "centre_id": str(centre.id), "occurred_at": "2008-07-01T10:00:00Z",
        "channel": "phone", "services": ["information"]}, format="json")
    assert visit.status_code == 201
    world = make_world("RS")
    referral = refer(world)["id"]
    assert as_user("partner.rs").post(f"/api/v1/referrals/{referral}/accept", {},
                                      format="json").status_code == 200
    hook = as_user("partner.rs").post("/api/v1/webhooks", {"url": "http://127.0.0.1:9/hook"},
                                      format="json")
    assert hook.status_code == 201
    with tenant_transaction("RS"):
        notification = Notification.objects.get(referral_id=referral)
    return {"centre_id": str(centre.id), "client_id": client_id, "visit_id": visit.json()["id"],
            "referral_id": referral, "service_id": world.services["near"],
            "organization_id": world.organizations["first"], "webhook_id": hook.json()["id"],
            "notification_id": str(notification.id), "action": "accept",
            "referral_client_id": world.client_id}


@pytest.mark.parametrize("username", sorted(USERS))
def test_no_role_reaches_another_tenants_records(username: str, foreign: dict[str, str],
                                                 clickhouse_database: str) -> None:
    caller = as_user(username)
    for method, path in _operations():
        url = path.format(**foreign) + QUERIES.get(path, "")
        extra: dict[str, Any] = {"HTTP_IF_MATCH": '"1"'} if method in ("patch", "put") else {}
        response = getattr(caller, method)(url, {}, format="json", **extra)
        allowed = bool(USERS[username] & ACCESS[(method, path)])
        where = f"{username} {method.upper()} {path}: {response.status_code}"
        if not allowed:
            assert response.status_code == 403, where
            continue
        text = response.content.decode(errors="replace")
        assert "Petrovi" not in text, where
        for name, value in foreign.items():
            if name not in ("action", "notification_id"):  # not ids that could only be RS's
                assert value not in text, f"{where} shows {name}"
        if "{" in path or method != "get":
            assert response.status_code in (400, 404), where
        else:
            assert response.status_code == 200, where
    with tenant_transaction("RS"):
        client = Client.objects.get(id=foreign["client_id"])
        assert (client.version, client.erased_at) == (1, None)
        assert Visit.objects.get(id=foreign["visit_id"]).version == 1
        assert Referral.objects.get(id=foreign["referral_id"]).state == "accepted"
        assert Service.objects.get(id=foreign["service_id"]).version == 1
