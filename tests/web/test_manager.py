"""The centre manager's pages: the centres (opened, changed with their version, a change made
meanwhile shown rather than overwritten), group sessions with attendance ticked from the
centre's clients, and the centre's own figures of the quarter, or a notice when the statistics
store does not answer."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from uuid import UUID

import pytest
from clickhouse_driver.errors import NetworkError
from django.utils import timezone

from analytics_stream.statistics import Answer
from intake.models import Centre, GroupSession, Visit
from intake.services import (
    RequestOrigin,
    centre_create,
    centre_update,
    client_register,
    visit_record,
)
from services.auth.tokens import Principal, Role
from services.tenancy.context import tenant_transaction
from services.web.centre_figures import quarter_of
from tests.pipeline_helpers import stream_outbox
from tests.web.conftest import logged_in

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

MANAGER = Principal(subject="web-test-manager", username="manager.al", tenant="AL",
                    roles=frozenset({Role.CENTRE_MANAGER, Role.COUNSELLOR}))


def _centre(name: str = "Tirana MSC") -> Centre:
    with tenant_transaction("AL"):
        return centre_create(actor=MANAGER, name=name, municipality_code="AL-11", kind="msc")


def _client_with_visit(centre: Centre, n: int, when: datetime) -> UUID:
    """A registered client with one visit at `centre`."""
    with tenant_transaction("AL"):
        client = client_register(actor=MANAGER, origin=RequestOrigin(), confirm_new=True,
                                 consent={"given_at": when, "scope": "service"}, data={
                                     "given_name": f"Client{n}", "family_name": f"Family{n:02d}",
                                     "sex": "female" if n % 2 else "male",
                                     "birth_year": 1980 + n, "citizenship": "AL",
                                     "category": "national", "municipality_code": "AL-11",
                                     "urban": True, "education_level": "isced3",
                                     "employment_status": "unemployed",
                                     "migration_intention": "labour"})
        visit_record(actor=MANAGER, client_id=client.id, centre_id=centre.id, occurred_at=when,
                     channel="in_person", services=["information", "counselling"]
                     if n else ["information"], topics=[],
                     destinations_discussed=[])
        return client.id


def test_a_manager_opens_and_changes_a_centre(stack: None) -> None:
    manager = logged_in("manager.al")
    opened = manager.post("/app/centres/new", {"name": "Shkodër MSC",
                                               "municipality_code": "AL-10", "kind": "msc",
                                               "active": "on"})
    assert opened.status_code == 302
    with tenant_transaction("AL"):
        centre = Centre.objects.get(name="Shkodër MSC")
    listed = manager.get(opened["Location"]).content.decode()
    assert "The centre is saved." in listed and f'href="/app/centres/{centre.id}"' in listed
    assert "Migrant Service Centre" in listed

    same_name = manager.post("/app/centres/new", {"name": "shkodër msc",
                                                  "municipality_code": "AL-10", "kind": "msc"})
    page = same_name.content.decode()
    assert re.search(r'id="id_name-error">\s*Your service has a centre with this name already.',
                     page)
    assert 'value="shkodër msc"' in page

    url = f"/app/centres/{centre.id}"
    assert 'name="version" value="1"' in manager.get(url).content.decode()
    with tenant_transaction("AL"):  # a colleague renames it first
        centre_update(actor=MANAGER, centre_id=centre.id, expected_version=1,
                      changes={"name": "Shkodra MSC"})
    mine = {"name": "Shkodër Centre", "municipality_code": "AL-10", "kind": "counter",
            "active": "on", "version": "1"}
    stale = manager.post(url, mine)
    page = stale.content.decode()
    assert stale.status_code == 409 and "Someone else saved a change first" in page
    assert re.search(r'<th scope="row">Name of the centre</th><td class="theirs">Shkodra MSC'
                     r'</td><td class="yours">Shkodër Centre</td>', page)
    assert 'value="Shkodër Centre"' in page and 'name="version" value="2"' in page
    with tenant_transaction("AL"):
        assert Centre.objects.get(id=centre.id).name == "Shkodra MSC"
    assert manager.post(url, {**mine, "version": "2"}).status_code == 302
    with tenant_transaction("AL"):
        changed = Centre.objects.get(id=centre.id)
    assert (changed.name, changed.kind, changed.version) == ("Shkodër Centre", "counter", 3)


def test_a_group_session_takes_attendance_from_the_centres_clients(stack: None) -> None:
    tirana, durres = _centre(), _centre("Durrës MSC")
    now = timezone.now()
    here = [_client_with_visit(tirana, n, now) for n in range(3)]
    elsewhere = _client_with_visit(durres, 7, now)
    manager = logged_in("manager.al")
    chooser = manager.get("/app/sessions/new").content.decode()
    assert 'name="centre"' in chooser and 'name="topic"' not in chooser

    page = manager.get("/app/sessions/new", {"centre": str(tirana.id)}).content.decode()
    offered = re.findall(r'name="attendee_ids" value="([^"]+)"', page)
    assert offered == [str(c) for c in here]  # the centre's clients, by name
    assert str(elsewhere) not in page
    assert 'data-filter-for="attendees"' in page and 'id="attendees"' in page

    none_ticked = manager.post("/app/sessions/new", {
        "centre": str(tirana.id), "topic": "Writing a CV", "held_at": "2026-11-20T10:00"})
    assert re.search(r'id="id_attendee_ids-error">\s*Fill in this field.',
                     none_ticked.content.decode())
    saved = manager.post("/app/sessions/new", {
        "centre": str(tirana.id), "topic": "Writing a CV", "held_at": "2026-11-20T10:00",
        "facilitators": "Elira, Genti", "partner_institution": "",
        "attendee_ids": [str(here[0]), str(here[2])]})
    assert saved.status_code == 302
    with tenant_transaction("AL"):
        session = GroupSession.objects.get(topic="Writing a CV")
        attendees = set(Visit.objects.filter(group_session=session)
                        .values_list("client_id", flat=True))
    assert attendees == {here[0], here[2]}
    assert session.facilitators == ["Elira", "Genti"] and session.centre_id == tirana.id
    assert session.held_at == datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # Tirana's time
    listed = manager.get(saved["Location"]).content.decode()
    assert "Writing a CV" in listed and "The group session is recorded" in listed


def test_the_centres_figures_of_the_quarter(clickhouse_database: str) -> None:
    tirana = _centre()
    now = timezone.now()
    for n in range(12):
        _client_with_visit(tirana, n, now)
    stream_outbox(clickhouse_database, ("AL",))
    manager = logged_in("manager.al")
    answer = manager.get(f"/app/centres/{tirana.id}/figures")
    page = answer.content.decode()
    assert answer.status_code == 200
    assert re.findall(r'<div class="value">(\d+|–)</div><div class="label">(clients|visits)<',
                      page) == [("12", "clients"), ("12", "visits")]
    mix = dict(re.findall(r'<tr><th scope="row">(\w+)</th><td class="num">([^<]+)</td></tr>',
                          page))
    assert mix == {"Information": "12", "Counselling": "11", "Referral": "–"}
    assert "Counts below 10 are withheld" in page


def test_figures_unavailable_when_the_statistics_store_is_down(
        stack: None, monkeypatch: pytest.MonkeyPatch) -> None:
    tirana = _centre()

    def down(*_args: object, **_kwargs: object) -> None:
        raise NetworkError("Connection refused")

    monkeypatch.setattr("analytics_stream.stats_apis.current_summary", down)
    answer = logged_in("manager.al").get(f"/app/centres/{tirana.id}/figures")
    assert answer.status_code == 503
    assert "The figures are unavailable right now" in answer.content.decode()


def test_counsellors_and_other_tenants_are_refused(stack: None) -> None:
    tirana = _centre()
    counsellor = logged_in("counsellor.al")
    for url in ("/app/centres", "/app/centres/new", f"/app/centres/{tirana.id}",
                f"/app/centres/{tirana.id}/figures", "/app/sessions", "/app/sessions/new"):
        assert counsellor.get(url).status_code == 403, url
    serbian = logged_in("manager.rs")
    for url in (f"/app/centres/{tirana.id}", f"/app/centres/{tirana.id}/figures"):
        assert serbian.get(url).status_code == 404, url
    assert "Tirana MSC" not in serbian.get("/app/centres").content.decode()
    assert str(tirana.id) not in serbian.get("/app/sessions/new").content.decode()


def _asked_periods(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """The periods the figures page asks the statistics for (an empty summary each time)."""
    asked: list[tuple[str, str]] = []

    def summary(_principal: Principal, query: dict[str, str]) -> Answer:
        asked.append((query["from"], query["to"]))
        return Answer({"clients": 0, "visits": 0, "services": {}, "group_sessions": []})

    monkeypatch.setattr("services.web.centre_figures.summary_for", summary)
    return asked


def test_the_figures_of_a_chosen_period(stack: None, monkeypatch: pytest.MonkeyPatch) -> None:
    tirana = _centre()
    asked = _asked_periods(monkeypatch)
    manager = logged_in("manager.al")
    url = f"/app/centres/{tirana.id}/figures"
    start, end = quarter_of(timezone.localdate())
    page = manager.get(url).content.decode()
    assert asked.pop() == (start.isoformat(), end.isoformat())
    assert f'name="quarter" value="{start.year}Q{(start.month - 1) // 3 + 1}"' in page
    answer = manager.get(url, {"quarter": "2025q2"})
    assert answer.status_code == 200 and asked.pop() == ("2025-04-01", "2025-06-30")
    assert 'name="quarter" value="2025q2"' in answer.content.decode()
    manager.get(url, {"from": "2024-11", "to": "2025-02"})
    assert asked.pop() == ("2024-11-01", "2025-02-28")


def test_a_period_that_is_none_shows_the_current_quarter_and_says_why(
        stack: None, monkeypatch: pytest.MonkeyPatch) -> None:
    tirana = _centre()
    asked = _asked_periods(monkeypatch)
    manager = logged_in("manager.al")
    url = f"/app/centres/{tirana.id}/figures"
    start, end = quarter_of(timezone.localdate())
    for query, field, message in (
            ({"quarter": "2025Q5"}, "id_quarter", "Give a quarter, e.g. 2026Q4."),
            ({"quarter": "'; drop"}, "id_quarter", "Give a quarter, e.g. 2026Q4."),
            ({"from": "2025-13", "to": "2025-12"}, "id_from", "Give a month, e.g. 2026-01."),
            ({"from": "2025-03"}, "id_to", "Fill in this field."),
            ({"from": "2025-06", "to": "2025-01"}, "id_to",
             "The last month cannot be before the first."),
            ({"from": "2010-01", "to": "2025-12"}, "id_to", "Choose at most five years.")):
        answer = manager.get(url, query)
        page = answer.content.decode()
        assert answer.status_code == 200, query
        assert asked.pop() == (start.isoformat(), end.isoformat()), query
        found = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', page)
        assert found and found.group(1).strip() == message, query
        assert "This quarter, from" in page


def test_a_chosen_period_of_another_tenants_centre_is_refused(stack: None) -> None:
    tirana = _centre()
    serbian = logged_in("manager.rs")
    assert serbian.get(f"/app/centres/{tirana.id}/figures",
                       {"quarter": "2025Q1"}).status_code == 404
    counsellor = logged_in("counsellor.al")
    assert counsellor.get(f"/app/centres/{tirana.id}/figures",
                          {"quarter": "2025Q1"}).status_code == 403
