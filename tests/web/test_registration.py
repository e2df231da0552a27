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
from intake.services import (
    RequestOrigin,
    centre_create,
    client_update,
    visit_correct,
    visit_record,
)
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


def test_previous_stays_abroad_are_rows_of_the_record(stack: None) -> None:
    counsellor = logged_in("counsellor.al")
    consent = _consented(counsellor)
    form = counsellor.get(NEW)  # the consent step; the details step shows three blank rows
    assert form.status_code == 200
    details = counsellor.post(NEW, {"step": "consent", "agreed": "on",
                                    "scope": "service"}).content.decode()
    assert 'name="stay-2-country"' in details and 'name="stay-3-country"' not in details
    stays = {"stay-0-country": "de", "stay-0-purpose": "work", "stay-0-year_from": "2015",
             "stay-0-year_to": "2018", "stay-1-country": "D1", "stay-1-purpose": "study",
             "stay-2-year_from": "2020"}
    page = counsellor.post(NEW, {**DETAILS, "consent": consent, **stays}).content.decode()
    # Each objection beside its own row's field, the input kept.
    assert _field_error(page, "id_stay-2-country") == "Fill in this field."
    assert _field_error(page, "id_stay-2-purpose") == "Fill in this field."
    assert 'value="D1"' in page and 'value="2015"' in page
    page = counsellor.post(NEW, {**DETAILS, "consent": consent, **stays,
                                 "stay-2-year_from": ""}).content.decode()
    assert _field_error(page, "id_stay-1-country") == (
        "Give a two-letter country code, e.g. AL or DE.")
    assert 'id="id_stay-0-country-error"' not in page
    assert not _clients(family_name="Krasniqi")
    page = counsellor.post(NEW, {**DETAILS, "consent": consent, **stays,
                                 "stay-2-year_from": "", "stay-1-country": "it",
                                 "stay-1-year_from": "1800"}).content.decode()
    assert _field_error(page, "id_stay-1-year_from") == "Give a year from 1900 to 2100."
    saved = counsellor.post(NEW, {**DETAILS, "consent": consent, **stays,
                                  "stay-2-year_from": "", "stay-1-country": "it"})
    assert saved.status_code == 302
    [client] = _clients(family_name="Krasniqi")
    with tenant_transaction("AL"):
        rows = [(s.country, s.purpose, s.year_from, s.year_to) for s in client.stays.all()]
    assert rows == [("DE", "work", 2015, 2018), ("IT", "study", None, None)]
    assert "DE, Work, 2015–2018; IT, Study" in counsellor.get(saved["Location"]).content.decode()

    edit = counsellor.get(f"/app/clients/{client.id}/edit").content.decode()
    assert 'name="stay-0-country" value="DE"' in edit
    assert 'name="stay-2-country"' in edit and 'name="stay-3-country"' not in edit
    changed = counsellor.post(f"/app/clients/{client.id}/edit", {
        **{k: v for k, v in DETAILS.items() if k != "step"}, "version": "1",
        "stay-0-country": "DE", "stay-0-purpose": "work", "stay-0-year_from": "2015",
        "stay-0-year_to": "2018", "stay-1-country": "", "stay-1-purpose": "",
        "stay-2-country": "at", "stay-2-purpose": "family", "stay-3-country": "ch",
        "stay-3-purpose": "asylum", "stay-3-year_to": "2021"})
    assert changed.status_code == 302
    with tenant_transaction("AL"):
        changed_rows = [(s.country, s.purpose, s.year_to) for s in client.stays.all()]
    assert changed_rows == [("DE", "work", 2018), ("AT", "family", None),
                            ("CH", "asylum", 2021)]
    edit = counsellor.get(f"/app/clients/{client.id}/edit").content.decode()
    assert 'name="stay-2-country" value="CH"' in edit  # the stays, then one empty row
    assert 'name="stay-3-country"' in edit and 'name="stay-4-country"' not in edit


def _visit(world: World) -> Visit:
    with tenant_transaction("AL"):
        centre = centre_create(actor=OTHER, name="Durrës MSC", municipality_code="AL-02",
                               kind="msc")
        return visit_record(actor=OTHER, client_id=UUID(world.client_id), centre_id=centre.id,
                            occurred_at=datetime(2026, 11, 2, 9, 30, tzinfo=UTC),
                            channel="in_person", services=["information"], topics=[],
                            destinations_discussed=[], note="First talk.")


def _visit_fields(page: str) -> dict[str, Any]:
    when = re.search(r'name="occurred_at" value="([^"]+)"', page)
    centre = re.search(r'<option value="([^"]+)" selected>', page)
    assert when and centre
    return {"centre_id": centre.group(1), "occurred_at": when.group(1), "channel": "in_person",
            "services": ["information"], "topics": [], "destinations_discussed": "",
            "note": "First talk."}


def test_a_recorded_visit_is_corrected_from_the_timeline(world: World) -> None:
    visit = _visit(world)
    url = f"/app/visits/{visit.id}/edit"
    counsellor = logged_in("counsellor.al")
    timeline = counsellor.get(f"/app/clients/{world.client_id}").content.decode()
    assert f'href="{url}"' in timeline
    page = counsellor.get(url).content.decode()
    assert 'name="version" value="1"' in page and "First talk.</textarea>" in page
    fields = _visit_fields(page)
    nothing = counsellor.post(url, {**fields, "version": "1"})
    assert "Nothing was changed: correct a value first." in nothing.content.decode()
    refused = counsellor.post(url, {**fields, "services": [], "version": "1"}).content.decode()
    assert _field_error(refused, "visit-services") == "Fill in this field."
    saved = counsellor.post(url, {**fields, "channel": "phone", "version": "1",
                                  "services": ["information", "counselling"],
                                  "destinations_discussed": "de"})
    assert saved.status_code == 302 and "?corrected=1" in saved["Location"]
    assert "The visit is corrected." in counsellor.get(saved["Location"]).content.decode()
    with tenant_transaction("AL"):
        visit.refresh_from_db()
    assert (visit.channel, visit.services, visit.destinations_discussed, visit.version) == (
        "phone", ["counselling", "information"], ["DE"], 2)
    assert visit.occurred_at == datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def test_a_visit_corrected_meanwhile_is_shown_beside_yours(world: World) -> None:
    visit = _visit(world)
    url = f"/app/visits/{visit.id}/edit"
    counsellor = logged_in("counsellor.al")
    fields = _visit_fields(counsellor.get(url).content.decode())
    with tenant_transaction("AL"):  # a colleague corrects it first
        visit_correct(actor=OTHER, visit_id=visit.id, expected_version=1,
                      changes={"note": "Colleague's note.", "channel": "phone"})
    answer = counsellor.post(url, {**fields, "note": "My note.", "version": "1"})
    page = answer.content.decode()
    assert answer.status_code == 409
    assert "Someone else saved a change first" in page
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th><td class="theirs">([^<]*)</td>'
                      r'<td class="yours">([^<]*)</td></tr>', page)
    assert ("Note", "Colleague&#x27;s note.", "My note.") in rows
    assert ("Channel", "Phone", "In person") in rows
    assert 'name="version" value="2"' in page and "My note.</textarea>" in page
    with tenant_transaction("AL"):
        visit.refresh_from_db()
    assert (visit.note, visit.version) == ("Colleague's note.", 2)

    again = counsellor.post(url, {**fields, "note": "My note.", "version": "2"})  # knowingly
    assert again.status_code == 302
    with tenant_transaction("AL"):
        visit.refresh_from_db()
    assert (visit.note, visit.channel, visit.version) == ("My note.", "in_person", 3)


def test_others_may_not_correct_a_visit(world: World) -> None:
    visit = _visit(world)
    url = f"/app/visits/{visit.id}/edit"
    assert logged_in("partner.al").get(url).status_code == 403
    serbian = logged_in("counsellor.rs")
    assert serbian.get(url).status_code == 404
    assert serbian.post(url, {"note": "x", "version": "1"}).status_code == 404
    with tenant_transaction("AL"):
        visit.refresh_from_db()
    assert visit.version == 1
