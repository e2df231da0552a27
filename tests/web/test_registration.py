"""The counsellor's client record through the pages: consent before anything personal, possible
duplicates shown before saving, errors beside their field with the input kept, a change made
meanwhile by someone else shown beside one's own (409) instead of overwritten, and a visit
recorded from the client's page."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from django.test import Client as Browser

from intake.models import AuditEntry, Client, Visit
from intake.services import RequestOrigin, centre_create, client_update
from services.auth.tokens import Principal, Role
from services.tenancy.context import tenant_transaction
from tests.referral_world import World, register_client
from tests.web.conftest import logged_in

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

NEW = "/app/clients/new"
OTHER = Principal(subject="web-test-other", username="manager.al", tenant="AL",
                  roles=frozenset({Role.CENTRE_MANAGER}))
DETAILS = {
    "step": "details", "given_name": "Besnik", "family_name": "Krasniqi", "sex": "male",
    "birth_year": "1992", "birth_date": "1992-04-17", "citizenship": "al",
    "category": "national", "municipality_code": "AL-11", "urban": "true",
    "education_level": "isced3", "employment_status": "unemployed", "occupation_isco": "",
    "migration_intention": "labour", "preferred_destinations": "de, it", "permit_status": "",
    "phone": "+355 69 111 2222", "email": "", "address": ""}


def _field_error(html: str, field_id: str) -> str:
    found = re.search(rf'<p class="field-error" id="{field_id}-error">([^<]*)</p>', html)
    assert found, f"no error beside #{field_id}"
    return found.group(1).strip()


def _consented(browser: Browser, scope: str = "service_referral") -> str:
    """Confirm the consent step; the signed consent the details form then carries."""
    page = browser.post(NEW, {"step": "consent", "agreed": "on", "scope": scope})
    assert page.status_code == 200
    found = re.search(r'name="consent" value="([^"]+)"', page.content.decode())
    assert found, "the details step carries the consent"
    return found.group(1)


def _clients(**filters: Any) -> list[Client]:
    with tenant_transaction("AL"):
        return list(Client.objects.filter(tenant_id="AL", **filters))


def test_consent_comes_first_and_then_the_client_is_registered(stack: None) -> None:
    counsellor = logged_in("counsellor.al")
    first = counsellor.get(NEW).content.decode()
    assert "1. The client’s consent" in first
    assert 'name="given_name"' not in first  # nothing personal before consent

    refused = counsellor.post(NEW, {"step": "consent", "scope": "service"}).content.decode()
    assert _field_error(refused, "id_agreed") == "Fill in this field."
    assert 'name="given_name"' not in refused
    # The details without a confirmed consent go back to the consent, storing nothing.
    forged = counsellor.post(NEW, {**DETAILS, "consent": "made-up"})
    assert forged.status_code == 400 and "has to be confirmed first" in forged.content.decode()
    assert not _clients(family_name="Krasniqi")

    consent = _consented(counsellor)
    answer = counsellor.post(NEW, {**DETAILS, "consent": consent})
    assert answer.status_code == 302
    client_id = answer["Location"].split("/app/clients/")[1].split("?")[0]
    [client] = _clients(id=client_id)
    assert (client.given_name, client.citizenship, client.preferred_destinations) == (
        "Besnik", "AL", ["DE", "IT"])
    assert client.consent_scope == "service_referral"
    assert client.consent_recorded_by == "counsellor.al"
    assert (datetime.now(UTC) - client.consent_given_at).total_seconds() < 60
    page = counsellor.get(answer["Location"]).content.decode()
    assert "The client is registered. Record the visit below." in page


def test_possible_duplicates_are_shown_before_saving_and_a_new_person_confirmed(
        stack: None) -> None:
    existing = register_client("AL", given_name="Besnik", family_name="Krasniqi",
                               birth_year=1992, birth_date="1992-04-17")
    counsellor = logged_in("counsellor.al")
    consent = _consented(counsellor)
    typed = {**DETAILS, "given_name": "Besnik", "family_name": "Krasniqui", "consent": consent}
    answer = counsellor.post(NEW, typed)
    page = answer.content.decode()
    assert answer.status_code == 409
    assert "This client may be registered already" in page
    assert f'href="/app/clients/{existing}"' in page and "Krasniqi, Besnik" in page
    assert 'value="Krasniqui"' in page  # the input is kept
    assert 'name="confirm_new" value="1"' in page
    assert len(_clients(birth_year=1992)) == 1

    confirmed = counsellor.post(NEW, {**typed, "confirm_new": "1"})
    assert confirmed.status_code == 302
    assert {c.family_name for c in _clients(birth_year=1992)} == {"Krasniqi", "Krasniqui"}


def test_errors_stand_beside_their_field_and_keep_the_input(stack: None) -> None:
    counsellor = logged_in("counsellor.al")
    consent = _consented(counsellor)
    page = counsellor.post(NEW, {**DETAILS, "consent": consent, "birth_date": "1993-01-02",
                                 "permit_status": "work_permit", "given_name": "",
                                 "citizenship": "A1"}).content.decode()
    assert _field_error(page, "id_given_name") == "Fill in this field."
    assert 'aria-describedby="id_given_name-error"' in page
    # The API's own checks, in the page's words, beside their fields.
    page = counsellor.post(NEW, {**DETAILS, "consent": consent,
                                 "citizenship": "A1"}).content.decode()
    assert _field_error(page, "id_citizenship") == (
        "Give a two-letter country code, e.g. AL or DE.")
    page = counsellor.post(NEW, {**DETAILS, "consent": consent,
                                 "birth_date": "1993-01-02"}).content.decode()
    assert _field_error(page, "id_birth_date") == "The birth date must fall in the birth year."
    assert 'value="Krasniqi"' in page and 'value="1993-01-02"' in page
    page = counsellor.post(NEW, {**DETAILS, "consent": consent,
                                 "permit_status": "work_permit"}).content.decode()
    assert _field_error(page, "id_permit_status") == "Only immigrants have a permit status."
    assert re.search(r'<option value="work_permit" selected>', page)
    assert not _clients(family_name="Krasniqi")


def test_a_change_made_meanwhile_is_shown_beside_yours_and_not_overwritten(
        world: World) -> None:
    url = f"/app/clients/{world.client_id}/edit"
    counsellor = logged_in("counsellor.al")
    form = counsellor.get(url).content.decode()
    assert 'name="version" value="1"' in form and 'value="Hoxha"' in form
    with tenant_transaction("AL"):  # a colleague saves first
        client_update(actor=OTHER, client_id=UUID(world.client_id), expected_version=1,
                      data={"phone": "+355 69 999 0000", "municipality_code": "AL-02"},
                      origin=RequestOrigin())
    mine = {**DETAILS, "given_name": "Arta", "family_name": "Hoxha", "sex": "female",
            "birth_year": "1985", "birth_date": "1985-03-02", "phone": "+355 69 000 0001",
            "municipality_code": "AL-11", "email": "arta@example.org",
            "address": "Rruga e Kavajës 7", "employment_status": "employed", "version": "1"}
    mine.pop("step")
    answer = counsellor.post(url, mine)
    page = answer.content.decode()
    assert answer.status_code == 409
    assert "Someone else saved a change first" in page
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th><td class="theirs">([^<]*)</td>'
                      r'<td class="yours">([^<]*)</td></tr>', page)
    assert ("Phone", "+355 69 999 0000", "+355 69 000 0001") in rows
    assert ("Municipality", "AL-02", "AL-11") in rows
    assert ("Employment", "Unemployed", "Employed") in rows
    assert 'name="version" value="2"' in page  # yours, now on the current version
    assert 'value="+355 69 000 0001"' in page
    [client] = _clients(id=world.client_id)
    assert (client.phone, client.employment_status) == ("+355 69 999 0000", "unemployed")

    again = counsellor.post(url, {**mine, "version": "2"})  # knowingly
    assert again.status_code == 302 and again["Location"].endswith("?saved=1")
    [client] = _clients(id=world.client_id)
    assert (client.phone, client.employment_status, client.version) == (
        "+355 69 000 0001", "employed", 3)


def test_a_visit_is_recorded_from_the_client_page(world: World) -> None:
    principal = Principal(subject="x", username="manager.al", tenant="AL",
                          roles=frozenset({Role.CENTRE_MANAGER}))
    with tenant_transaction("AL"):
        centre = centre_create(actor=principal, name="Durrës MSC", municipality_code="AL-02",
                               kind="msc")
    url = f"/app/clients/{world.client_id}"
    counsellor = logged_in("counsellor.al")
    page = counsellor.get(url).content.decode()
    assert re.search(rf'<option value="{centre.id}" selected>Durrës MSC</option>', page)
    assert re.search(r'id="visit-channel_0"[^>]*checked|checked[^>]*id="visit-channel_0"', page)
    when = re.search(r'name="occurred_at" value="([^"]+)"', page)
    assert when, "the time is filled in"

    nothing = counsellor.post(url, {"centre_id": str(centre.id), "occurred_at": when.group(1),
                                    "channel": "phone", "note": "Asked about Germany."})
    assert nothing.status_code == 200
    html = nothing.content.decode()
    assert _field_error(html, "visit-services") == "Fill in this field."
    assert "Asked about Germany.</textarea>" in html

    saved = counsellor.post(url, {"centre_id": str(centre.id), "occurred_at": when.group(1),
                                  "channel": "phone", "services": ["information", "counselling"],
                                  "topics": ["work_permits"], "destinations_discussed": "de",
                                  "note": "Asked about Germany."})
    assert saved.status_code == 302 and "?visit=1" in saved["Location"]
    with tenant_transaction("AL"):
        [visit] = Visit.objects.filter(client_id=world.client_id)
    assert (visit.channel, visit.services, visit.destinations_discussed) == (
        "phone", ["counselling", "information"], ["DE"])
    assert visit.counsellor_username == "counsellor.al"
    timeline = counsellor.get(saved["Location"]).content.decode()
    assert "The visit is recorded." in timeline and "Visit at Durrës MSC" in timeline


def test_others_may_not_register_or_change_clients(world: World) -> None:
    partner = logged_in("partner.al")
    for url in (NEW, f"/app/clients/{world.client_id}/edit"):
        assert partner.get(url).status_code == 403, url
    serbian = logged_in("counsellor.rs")
    assert serbian.get(f"/app/clients/{world.client_id}/edit").status_code == 404
    refused = serbian.post(f"/app/clients/{world.client_id}/edit", {**DETAILS, "version": "1"})
    assert refused.status_code == 404
    with tenant_transaction("AL"):
        assert not AuditEntry.objects.filter(actor_username="counsellor.rs").exists()
    [client] = _clients(id=world.client_id)
    assert client.version == 1
