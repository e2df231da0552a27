"""A form posted after the login ended loses nothing: the input waits in the session while the
user logs in again, and comes back on the same page, to be checked and sent, for that user."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from referrals.models import Referral
from services.tenancy.context import tenant_transaction
from services.web.oidc import SESSION_KEY
from tests.referral_world import LANGUAGE_COURSE, World, refer
from tests.web.conftest import logged_in

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def _expire(client: Client) -> None:
    """The access token has run out and Keycloak no longer renews the refresh token."""
    session = client.session
    tokens: dict[str, Any] = dict(session[SESSION_KEY])
    session[SESSION_KEY] = {**tokens, "expires_at": 0, "refresh_token": "no-longer-valid"}
    session.save()


def _login_redirect(answer: Any, page: str) -> None:
    assert answer.status_code == 302
    location = urlsplit(answer["Location"])
    assert location.path == "/login" and parse_qs(location.query)["next"] == [page]


def test_a_decline_posted_after_expiry_comes_back_after_login(world: World) -> None:
    referral = refer(world)
    url = f"/app/partner/referrals/{referral['id']}"
    partner = logged_in("partner.al")
    partner.get(url)
    _expire(partner)

    answer = partner.post(url, {"action": "decline", "reason": "Group full until June",
                                "version": "2"})
    _login_redirect(answer, url)
    with tenant_transaction("AL"):
        assert Referral.objects.get(id=referral["id"]).state == "sent"

    logged_in("partner.al", partner)  # what the login callback does
    page = partner.get(url).content.decode()
    assert "We kept what you typed: check it and send it again." in page
    assert re.search(r'<textarea[^>]*id="decline-reason"[^>]*>\s*Group full until June</textarea>',
                     page)
    again = partner.get(url).content.decode()  # offered once
    assert "Group full until June" not in again and "We kept what you typed" not in again


def test_a_referral_note_comes_back_and_only_to_its_author(world: World) -> None:
    url = f"/app/clients/{world.client_id}/refer"
    counsellor = logged_in("counsellor.al")
    _expire(counsellor)
    typed = {"need": LANGUAGE_COURSE, "languages": ["sq", "en"],
             "service": world.services["far"], "note": "Call her after 17:00."}
    _login_redirect(counsellor.post(url, typed), url)

    logged_in("counsellor.al", counsellor)
    page = counsellor.get(url).content.decode()
    assert "Call her after 17:00.</textarea>" in page
    assert f'value="{world.services["far"]}" checked' in page
    assert re.search(r'value="en"[^>]*checked', page)

    # On a shared computer, the next person to log in does not get it.
    _expire(counsellor)
    _login_redirect(counsellor.post(url, typed), url)
    logged_in("manager.al", counsellor)
    assert "Call her after 17:00." not in counsellor.get(url).content.decode()
