"""The service functions of referrals that both the API and the web pages call."""

from __future__ import annotations

from datetime import date

import pytest
from rest_framework.exceptions import NotFound

from referrals.models import RoutingSettings
from referrals.services import routing_settings_update
from services.api.concurrency import VersionConflict
from services.tenancy.context import tenant_transaction
from tests.referral_world import admin, regional_office

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_routing_settings_change_only_over_the_version_seen() -> None:
    changes = {"weight_distance": 1.0, "weight_capacity": 0.5, "weight_waiting": 0.0,
               "weight_record": 0.0, "answer_working_days": 4,
               "holidays": [date(2027, 1, 1), date(2026, 12, 25), date(2027, 1, 1)]}
    with tenant_transaction("RS"):
        row = routing_settings_update(actor=admin("RS"), expected_version=1, changes=changes)
        assert (row.version, row.updated_by, row.answer_working_days) == (2, "admin.rs", 4)
        assert row.holidays == [date(2026, 12, 25), date(2027, 1, 1)]  # once each, in order
        with pytest.raises(VersionConflict):
            routing_settings_update(actor=admin("RS"), expected_version=1,
                                    changes={"answer_working_days": 9})
        assert RoutingSettings.objects.get(tenant_id="RS").answer_working_days == 4


def test_routing_settings_are_a_tenants() -> None:
    with tenant_transaction(None), pytest.raises(NotFound):
        routing_settings_update(actor=regional_office(), expected_version=1, changes={})
