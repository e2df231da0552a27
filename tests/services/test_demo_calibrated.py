"""Demo data: the calibrated plan reproduces the published 2008 report and loads through the
intake API's own input checks; the scaled plan has the size asked for."""

from __future__ import annotations

import re
import statistics
from datetime import date
from typing import Any

import pytest

from analytics_stream.figures import compare_with_reference, quarterly_figures
from intake import choices
from intake.client_apis import ClientInputSerializer
from intake.session_apis import GroupSessionInputSerializer
from intake.sync_apis import SyncClientSerializer, SyncVisitSerializer
from intake.visit_apis import VisitInputSerializer
from services.demo.calibrated import (
    DemoPlan,
    age_on,
    all_visit_records,
    calibrated_plan,
    centre_records,
    scaled_plan,
)

CYRILLIC = re.compile("[\u0400-\u04ff]")


@pytest.fixture(scope="module")
def plan(reference: dict[str, Any]) -> DemoPlan:
    return calibrated_plan(reference, seed=2008)


def _figures_problems(plan: DemoPlan, reference: dict[str, Any]) -> list[str]:
    figures = quarterly_figures(all_visit_records(plan), centres=centre_records(plan))
    return compare_with_reference(figures, reference)


@pytest.mark.parametrize("seed", [1, 2])
def test_the_plan_reproduces_the_published_report(reference: dict[str, Any], seed: int) -> None:
    assert _figures_problems(calibrated_plan(reference, seed=seed), reference) == []


def test_one_seed_one_plan_another_seed_another(reference: dict[str, Any],
                                                plan: DemoPlan) -> None:
    assert calibrated_plan(reference, seed=2008) == plan
    other = calibrated_plan(reference, seed=2009)
    assert {c.key for c in other.clients}.isdisjoint(c.key for c in plan.clients)
    assert [c.as_input() for c in other.clients] != [c.as_input() for c in plan.clients]


def test_a_changed_report_is_not_reproduced_by_chance(reference: dict[str, Any],
                                                      plan: DemoPlan) -> None:
    changed = {**reference, "visits_total": reference["visits_total"] + 1}
    assert _figures_problems(plan, changed) != []


def test_every_client_passes_the_intake_api_checks(plan: DemoPlan) -> None:
    for client in plan.clients:
        for serializer in (ClientInputSerializer(data=client.as_input()),
                           SyncClientSerializer(data=client.as_input())):
            assert serializer.is_valid(), (client.key, serializer.errors)


def test_every_visit_and_session_passes_the_intake_api_checks(plan: DemoPlan) -> None:
    for visit in plan.visits:
        direct = VisitInputSerializer(
            data=visit.as_input(centre_id=visit.centre_key, client_id=visit.client_key))
        synced = SyncVisitSerializer(data=visit.as_input(centre_id=visit.centre_key))
        assert direct.is_valid(), (visit.key, direct.errors)
        assert synced.is_valid(), (visit.key, synced.errors)
    for session in plan.sessions:
        serializer = GroupSessionInputSerializer(
            data=session.as_input(centre_id=session.centre_key,
                                  attendee_ids=session.attendee_keys))
        assert serializer.is_valid(), (session.key, serializer.errors)


def test_visits_refer_to_planned_clients_and_centres_inside_the_period(plan: DemoPlan) -> None:
    clients = {c.key: c for c in plan.clients}
    centres = {c.key: c for c in plan.centres}
    for visit in plan.visits:
        client, centre = clients[visit.client_key], centres[visit.centre_key]
        assert centre.tenant_id == client.tenant_id == visit.tenant_id
        assert plan.start <= visit.occurred_at.date() <= plan.end
        assert client.consent_given_at < visit.occurred_at
        assert visit.services and set(visit.services) <= set(choices.Service.values)
    for session in plan.sessions:
        assert all(clients[key].consent_given_at < session.held_at
                   for key in session.attendee_keys)


def test_centres_of_the_region(plan: DemoPlan, reference: dict[str, Any]) -> None:
    assert len(plan.centres) == 21
    assert {c.tenant_id for c in plan.centres} == set(reference["tenants"])
    assert {"Skopje", "Bitola"} <= {c.name for c in plan.centres if c.tenant_id == "MK"}


def test_the_group_sessions_of_the_example(plan: DemoPlan) -> None:
    centres = {c.key: c.name for c in plan.centres}
    assert len(plan.sessions) == 4
    assert {centres[s.centre_key] for s in plan.sessions} == {"Skopje", "Bitola"}
    assert {s.topic for s in plan.sessions} == {
        "CV preparation and skills for the local labour market"}
    assert len({key for s in plan.sessions for key in s.attendee_keys}) >= 60
    attendances = [r for r in all_visit_records(plan) if r.group_session_id is not None]
    assert len(attendances) == sum(len(s.attendee_keys) for s in plan.sessions)
    assert all(r.services == ("counselling",) for r in attendances)


def test_clients_look_like_the_region(plan: DemoPlan, reference: dict[str, Any]) -> None:
    tenants = set(reference["tenants"])
    assert {c.tenant_id for c in plan.clients} == tenants
    for tenant in ("RS", "MK", "ME"):
        assert any(CYRILLIC.search(c.given_name) for c in plan.clients if c.tenant_id == tenant)
    for client in plan.clients:
        if client.category == "immigrant":
            assert client.citizenship != client.tenant_id and client.permit_status
        else:
            assert client.citizenship == client.tenant_id and not client.permit_status
        assert client.municipality_code.startswith(client.tenant_id)
    with_immigrants = {c.tenant_id for c in plan.clients if c.category == "immigrant"}
    assert with_immigrants.isdisjoint(reference["immigrants"]["tenants_with_none"])
    ages = [age_on(c.birth_date, plan.end) for c in plan.clients]
    assert statistics.stdev(ages) > 5 and min(ages) >= 18
    assert len({d for c in plan.clients for d in c.preferred_destinations}) > 5
    assert {c.category for c in plan.clients} == {"national", "returnee", "immigrant"}


def test_age_on_counts_the_birthday() -> None:
    assert age_on(date(1990, 6, 15), date(2008, 6, 14)) == 17
    assert age_on(date(1990, 6, 15), date(2008, 6, 15)) == 18


def test_the_scaled_plan_has_the_size_asked_for() -> None:
    start, end = date(2009, 1, 1), date(2009, 3, 31)
    plan = scaled_plan(seed=3, visits=2_500, start=start, end=end)
    clients = list(plan.clients())
    visits = list(plan.visits())
    assert len(visits) == 2_500
    assert len(clients) == plan.clients_total == 2_000
    keys = {c.key for c in clients}
    assert len(keys) == len(clients) and {v.client_key for v in visits} == keys
    assert all(start <= v.occurred_at.date() <= end for v in visits)
    assert visits[:10] == list(plan.visits())[:10]
    assert scaled_plan(seed=4, visits=10, start=start, end=end).client(0) != plan.client(0)
    for client in clients[:200]:
        serializer = SyncClientSerializer(data=client.as_input())
        assert serializer.is_valid(), serializer.errors
