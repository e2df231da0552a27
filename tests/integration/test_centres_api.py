"""`GET /api/v1/centres`: roles decide who may call it; the tenant decides what it returns."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from intake.models import Centre
from services.tenancy.context import tenant_transaction
from services.tenancy.models import Tenant
from tests.conftest import require_component
from tests.integration.keycloak_helpers import access_token

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def centres() -> None:
    require_component("postgres")
    require_component("keycloak")
    for tenant, name in (("AL", "Tirana"), ("AL", "Korce"), ("RS", "Beograd")):
        with tenant_transaction(tenant):
            Centre.objects.create(tenant=Tenant(code=tenant), name=name, municipality_code="1")


def _get(username: str) -> tuple[int, Any]:
    response = APIClient().get(
        "/api/v1/centres", HTTP_AUTHORIZATION=f"Bearer {access_token(username)}"
    )
    return response.status_code, response.json()


def test_counsellor_sees_only_own_tenant_centres() -> None:
    status, body = _get("counsellor.al")
    assert status == 200
    assert [c["name"] for c in body["results"]] == ["Korce", "Tirana"]
    status, body = _get("counsellor.rs")
    assert [c["name"] for c in body["results"]] == ["Beograd"]


@pytest.mark.parametrize("username", ["partner.al", "regional.monitor"])
def test_valid_token_without_the_role_is_403(username: str) -> None:
    status, body = _get(username)
    assert status == 403
    assert body["error"]["code"] == "permission_denied"
    assert "requires one of the roles" in body["error"]["message"]
