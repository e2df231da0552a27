"""The counsellor's pages: find a client however the name was typed, the client's timeline,
referring with the routing suggestions and their reasons, the referrals to follow up, and
notifications; another tenant's records answer like missing ones."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from django.utils import timezone

from intake.models import AuditEntry
from intake.services import centre_create, visit_record
from referrals.models import Referral
from services.auth.tokens import Principal, Role
from services.tenancy.context import tenant_transaction
from tests.integration.keycloak_helpers import as_user
from tests.referral_world import LANGUAGE_COURSE, World, refer, register_client
from tests.web.conftest import logged_in

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

COUNSELLOR = Principal(subject="web-test-counsellor", username="counsellor.al", tenant="AL",
                       roles=frozenset({Role.COUNSELLOR}))


def _section(html: str, heading_id: str) -> str:
    """The part of a page from one section's heading to the next section."""
    return html.split(f'id="{heading_id}"', 1)[1].split("<section", 1)[0]


def test_search_finds_a_name_in_either_script_with_or_without_diacritics(world: World) -> None:
    register_client("AL", given_name="Đorđe", family_name="Đorđević", birth_year=1990,
                    birth_date="1990-05-01", phone="+381 64 123 4567", email="")
    counsellor = logged_in("counsellor.al")
    for query in ("Ђорђевић", "Đorđević", "djordjevic", "Dordevic 1990", "ĐORĐE",
                  "064 123 4567", "+381641234567"):
        page = counsellor.get("/app/clients", {"q": query}).content.decode()
        assert "Đorđević, Đorđe" in page, query
        assert "Hoxha" not in page, query
    for query in ("Dordevic 1991", "Petrović", "064 999 9999"):
        page = counsellor.get("/app/clients", {"q": query}).content.decode()
        assert "Đorđević, Đorđe" not in page, query
        assert "0 clients found." in page, query
    by_year = counsellor.get("/app/clients", {"q": "1985"}).content.decode()
    assert "Hoxha, Arta" in by_year and "Đorđević, Đorđe" not in by_year
    with tenant_transaction("AL"):
        assert AuditEntry.objects.filter(actor_username="counsellor.al", action="list").exists()


def test_the_client_page_shows_visits_sessions_and_referral_steps(world: World) -> None:
    with tenant_transaction("AL"):
        centre = centre_create(actor=COUNSELLOR, name="Tirana MSC", municipality_code="AL-11",
                               kind="msc")
        visit_record(actor=COUNSELLOR, client_id=UUID(world.client_id), centre_id=centre.id,
                     occurred_at=datetime(2026, 10, 5, 9, 30, tzinfo=UTC), channel="in_person",
                     services=["counselling"], topics=["work_permits"],
                     destinations_discussed=["DE"])
    referral = refer(world)
    assert as_user("partner.al").post(f"/api/v1/referrals/{referral['id']}/decline",
                                      {"reason": "Course full"}, format="json").status_code == 200
    page = logged_in("counsellor.al").get(f"/app/clients/{world.client_id}").content.decode()
    timeline = _section(page, "timeline-heading")
    assert "Visit at Tirana MSC" in timeline and "Work permits" in timeline
    assert "In person" in timeline and "Counselling" in timeline
    steps = re.findall(r'class="state state-(\w+)"', timeline)
    assert steps == ["declined", "sent"]  # newest first, after the visit in October
    assert "Course full" in timeline
    assert timeline.index("Course full") < timeline.index("Visit at Tirana MSC")
    assert f'href="/app/clients/{world.client_id}/refer"' in page


def test_refer_with_the_suggestions_and_their_reasons_end_to_end(world: World) -> None:
    counsellor = logged_in("counsellor.al")
    url = f"/app/clients/{world.client_id}/refer"
    first = counsellor.get(url).content.decode()
    assert "Language course" in first and re.search(r'value="sq"[^>]*checked', first)

    page = counsellor.get(url, {"need": LANGUAGE_COURSE, "languages": ["sq", "en"]}
                          ).content.decode()
    ranked = re.findall(r'<input type="radio" id="service-\d+" name="service" value="([^"]+)"',
                        page)
    assert ranked == [world.services["near"], world.services["far"]]
    assert f'value="{world.services["near"]}" checked' in page
    # Why: every rule the service passed and each weighted part of its score.
    for reason in ("Target group", "Age", "Education", "Language", "Free seats", "Distance",
                   "Waiting time", "Track record",
                   "The client is 41; the service takes ages 16 and over.",
                   "Has a location in the client’s municipality (AL-11).",
                   "Free seats: 12 of 20 (60%).", "The client speaks shqip, English; "
                   "the service is offered in shqip, English."):
        assert reason in page, reason
    excluded = re.findall(r'id="excluded-\d+" name="service" value="([^"]+)"', page)
    assert set(excluded) == {world.services["youth"], world.services["full"]}
    assert "No free seats, and the waiting list is closed." in page

    sent = counsellor.post(url, {"need": LANGUAGE_COURSE, "languages": ["sq", "en"],
                                 "service": world.services["near"],
                                 "note": "Evenings only, please."})
    assert sent.status_code == 302
    referral_id = sent["Location"].split("/app/referrals/")[1].split("?")[0]
    with tenant_transaction("AL"):
        referral = Referral.objects.get(id=referral_id)
    assert referral.state == "sent" and referral.suggestion_rank == 1
    assert referral.languages == ["sq", "en"]
    assert referral.note_for_partner == "Evenings only, please."
    shown = counsellor.get(sent["Location"]).content.decode()
    assert "The referral was sent to Tirana Language School." in shown
    assert "The suggestions when it was sent" in shown
    inbox = logged_in("partner.al").get("/app/partner/referrals").content.decode()
    assert f"/app/partner/referrals/{referral_id}" in inbox


def test_a_refer_form_with_errors_keeps_the_input_beside_each_error(world: World) -> None:
    counsellor = logged_in("counsellor.al")
    url = f"/app/clients/{world.client_id}/refer"
    answer = counsellor.post(url, {"need": LANGUAGE_COURSE, "languages": ["sq"],
                                   "service": "other", "note": "Needs a morning course."})
    page = answer.content.decode()
    assert answer.status_code == 200
    assert re.search(r'<p class="field-error" id="id_other_service-error">\s*'
                     r'Choose the other service.', page)
    assert 'aria-describedby="id_other_service-error"' in page
    assert ">\nNeeds a morning course.</textarea>" in page
    assert 'id="service-other" name="service" value="other" checked' in page
    nothing = counsellor.post(url, {"need": LANGUAGE_COURSE, "note": "x"}).content.decode()
    assert re.search(r'id="id_service-error">\s*Fill in this field.', nothing)
    with tenant_transaction("AL"):
        assert not Referral.objects.exists()


def test_referrals_waiting_expiring_answered_and_the_notifications(world: World) -> None:
    soon, later, answered = refer(world, "near"), refer(world, "far"), refer(world, "near")
    with tenant_transaction("AL"):
        Referral.objects.filter(id=soon["id"]).update(due_at=timezone.now() + timedelta(hours=2))
        Referral.objects.filter(id=later["id"]).update(due_at=timezone.now() + timedelta(days=9))
    assert as_user("partner.al").post(f"/api/v1/referrals/{answered['id']}/decline",
                                      {"reason": "No evening group"},
                                      format="json").status_code == 200
    counsellor = logged_in("counsellor.al")
    page = counsellor.get("/app/referrals").content.decode()
    assert soon["id"] in _section(page, "expiring-heading")
    assert later["id"] not in _section(page, "expiring-heading")
    assert later["id"] in _section(page, "waiting-heading")
    assert answered["id"] in _section(page, "answered-heading")

    page = counsellor.get("/app/notifications").content.decode()
    assert ("Tirana Language School declined the referral to English B1, Tirana. "
            "Reason: No evening group") in page
    assert re.search(r'Notifications <span class="badge"[^>]*>1</span>', page)
    assert counsellor.post("/app/notifications").status_code == 302
    assert 'class="badge"' not in counsellor.get("/app/notifications").content.decode()


def test_the_counsellor_cancels_with_a_reason(world: World) -> None:
    referral = refer(world)
    url = f"/app/referrals/{referral['id']}"
    counsellor = logged_in("counsellor.al")
    page = counsellor.get(url).content.decode()
    assert re.findall(r'name="action" value="(\w+)"', page) == ["cancel"]
    assert "Give a reason." in counsellor.post(url, {"action": "cancel"}).content.decode()
    assert counsellor.post(url, {"action": "cancel", "reason": "Found a job"}).status_code == 302
    with tenant_transaction("AL"):
        assert Referral.objects.get(id=referral["id"]).state == "cancelled"


def test_another_tenants_client_and_referral_are_not_found(world: World) -> None:
    referral = refer(world)
    serbian = logged_in("counsellor.rs")
    for url in (f"/app/clients/{world.client_id}", f"/app/clients/{world.client_id}/refer",
                f"/app/referrals/{referral['id']}"):
        answer = serbian.get(url)
        assert answer.status_code == 404, url
        assert "Arta" not in answer.content.decode()
    assert "0 clients found." in serbian.get("/app/clients", {"q": "Hoxha"}).content.decode()
    assert serbian.post(f"/app/referrals/{referral['id']}",
                        {"action": "cancel", "reason": "x"}).status_code == 404
    assert logged_in("counsellor.al").get("/app/partner/referrals").status_code == 403
