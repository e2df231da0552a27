"""The institution's inbox through the pages: what a partner sees of a client (the minimum, and
audited), the steps they take, errors beside their field, and a stale step shown as what it is."""

from __future__ import annotations

import re

import pytest

from intake.models import AuditEntry
from referrals.models import Referral
from services.tenancy.context import tenant_transaction
from tests.integration.keycloak_helpers import as_user
from tests.referral_world import World, refer
from tests.web.conftest import logged_in

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def _state(referral_id: str) -> str:
    with tenant_transaction("AL"):
        return Referral.objects.get(id=referral_id).state


def _version(referral_id: str) -> int:
    with tenant_transaction("AL"):
        return Referral.objects.get(id=referral_id).version


def _field_error(html: str, field_id: str) -> str:
    """The error shown beside a field, which the field names as its description."""
    assert re.search(rf'id="{field_id}"[^>]*aria-describedby="{field_id}-error"|'
                     rf'aria-describedby="{field_id}-error"[^>]*id="{field_id}"', html), html
    found = re.search(rf'<p class="field-error" id="{field_id}-error">([^<]*)</p>', html)
    assert found, f"no error beside #{field_id}"
    return found.group(1).strip()


def test_the_inbox_shows_new_referrals_with_the_minimum_about_the_client(world: World) -> None:
    referral = refer(world)
    partner = logged_in("partner.al")

    inbox = partner.get("/app/partner/referrals")
    assert inbox.status_code == 200
    page = inbox.content.decode()
    assert "Arta Hoxha" in page and "English B1, Tirana" in page
    assert 'href="?state=new" aria-current="page">New (1)' in page

    detail = partner.get(f"/app/partner/referrals/{referral['id']}")
    page = detail.content.decode()
    assert detail.status_code == 200
    for shown in ("Arta", "Hoxha", "+355 69 000 0001", "arta@example.org", "Language course",
                  "shqip", "Prefers evening classes."):
        assert shown in page, shown
    # Nothing else about the client: no address, birth date or year, category.
    for hidden in ("Rruga e Kavajës", "1985", "National", "Tirana Language School"):
        assert hidden not in page.split("<main")[1], hidden
    with tenant_transaction("AL"):
        actions = set(AuditEntry.objects.filter(actor_username="partner.al")
                      .values_list("action", flat=True))
    assert actions == {"referral_list", "referral_read"}


def test_another_institution_sees_nothing_and_a_partner_no_client_page(world: World) -> None:
    referral = refer(world)
    other = logged_in("partner2.al")
    assert other.get(f"/app/partner/referrals/{referral['id']}").status_code == 404
    assert "Arta" not in other.get("/app/partner/referrals").content.decode()
    partner = logged_in("partner.al")
    refused = partner.get(f"/app/clients/{world.client_id}")
    assert refused.status_code == 403
    assert "Your role may not open this page." in refused.content.decode()
    assert partner.get("/app/clients?q=Hoxha").status_code == 403


def test_accept_start_and_complete_with_an_outcome(world: World) -> None:
    referral = refer(world)
    url = f"/app/partner/referrals/{referral['id']}"
    partner = logged_in("partner.al")
    page = partner.get(url).content.decode()
    assert re.findall(r'name="action" value="(\w+)"', page) == ["accept", "decline"]

    accepted = partner.post(url, {"action": "accept", "version": _version(referral["id"])})
    assert accepted.status_code == 302 and accepted["Location"] == f"{url}?saved=1"
    assert _state(referral["id"]) == "accepted"
    page = partner.get(accepted["Location"]).content.decode()
    assert "Saved. The referral is now “Accepted”." in page
    assert re.findall(r'name="action" value="(\w+)"', page) == ["start", "hold"]

    assert partner.post(url, {"action": "start"}).status_code == 302
    missing = partner.post(url, {"action": "complete", "outcome": ""})
    assert missing.status_code == 200
    assert _field_error(missing.content.decode(), "complete-outcome") == "Choose an outcome."
    assert _state(referral["id"]) == "in_progress"
    done = partner.post(url, {"action": "complete", "outcome": "certificate"})
    assert done.status_code == 302
    assert _state(referral["id"]) == "completed"
    assert "Nothing: this referral is closed." in partner.get(url).content.decode()


def test_a_decline_without_reason_shows_the_error_beside_it_and_keeps_the_input(
        world: World) -> None:
    referral = refer(world)
    url = f"/app/partner/referrals/{referral['id']}"
    partner = logged_in("partner.al")
    # Closing as not completed needs both: the missing outcome is named, the reason kept.
    partner.post(url, {"action": "accept"})
    partner.post(url, {"action": "start"})
    answer = partner.post(url, {"action": "not_complete", "reason": "Moved to Durrës",
                                "outcome": ""})
    page = answer.content.decode()
    assert answer.status_code == 200
    assert _field_error(page, "not_complete-outcome") == "Choose an outcome."
    assert re.search(r'<textarea[^>]*id="not_complete-reason"[^>]*>\s*Moved to Durrës</textarea>',
                     page)
    assert 'class="error-summary"' in page
    assert _state(referral["id"]) == "in_progress"

    second = refer(world)
    url = f"/app/partner/referrals/{second['id']}"
    page = partner.post(url, {"action": "decline", "reason": "  "}).content.decode()
    assert _field_error(page, "decline-reason") == "Give a reason."
    assert _state(second["id"]) == "sent"
    assert partner.post(url, {"action": "decline", "reason": "Course full until May"}
                        ).status_code == 302
    assert _state(second["id"]) == "declined"


def test_a_step_someone_else_made_stale_shows_their_change_instead(world: World) -> None:
    referral = refer(world)
    url = f"/app/partner/referrals/{referral['id']}"
    partner = logged_in("partner.al")
    seen = _version(referral["id"])
    # A colleague at the institution accepts it meanwhile (through the API).
    assert as_user("partner.al").post(f"/api/v1/referrals/{referral['id']}/accept", {},
                                      format="json").status_code == 200

    stale = partner.post(url, {"action": "decline", "reason": "No seats", "version": seen})
    page = stale.content.decode()
    assert stale.status_code == 409
    assert "Someone else changed this referral" in page
    assert "It is now “Accepted”, so your step “Decline” was not taken." in page
    assert re.findall(r'name="action" value="(\w+)"', page) == ["start", "hold"]
    assert _state(referral["id"]) == "accepted"

    # The same step again, now illegal by the workflow rather than by the version.
    again = partner.post(url, {"action": "accept"})
    assert again.status_code == 409
    assert "your step “Accept” was not taken" in again.content.decode()
    assert _state(referral["id"]) == "accepted"
