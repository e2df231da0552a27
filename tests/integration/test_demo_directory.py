"""The demo directory and referrals load through the API, and loading again changes nothing."""

from __future__ import annotations

from datetime import date

import pytest

from referrals.models import Organization, Referral, Service
from services.demo.directory import demo_directory, load_demo_referrals
from services.demo.loader import InProcessTransport, KeycloakTokens
from services.tenancy.context import tenant_transaction
from tests.conftest import require_component
from tests.referral_world import register_client

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_demo_directory_and_referrals_load_once() -> None:
    require_component("postgres")
    require_component("keycloak")
    for n in range(6):
        register_client("AL", given_name=f"Demo{n}", birth_year=1980 + n, birth_date=None)
    transport = InProcessTransport(KeycloakTokens())
    today = date(2026, 11, 29)
    made = load_demo_referrals(transport, "AL", today, out=lambda _: None)
    assert made == 6
    assert load_demo_referrals(transport, "AL", today, out=lambda _: None) == 0
    with tenant_transaction("AL"):
        assert {o.code for o in Organization.objects.filter(tenant_id="AL")} == {
            f"al-inst-{n}" for n in range(1, 7)}
        assert Service.objects.filter(tenant_id="AL").count() == len(
            demo_directory("AL", today).services)
        states = sorted(Referral.objects.values_list("state", flat=True))
    assert len(states) == 6 and "sent" in states and len(set(states)) > 1
