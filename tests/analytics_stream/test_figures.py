"""Quarterly figures from hand-built visits, and their comparison with a published report."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from analytics_stream.figures import (
    CentreRecord,
    QuarterlyFigures,
    Share,
    VisitRecord,
    compare_with_reference,
    percent_matches,
    quarterly_figures,
)

BASE = VisitRecord(
    tenant_id="AL", centre_id="c-tirana", centre_name="Tirana", visit_id="v0",
    visit_date=date(2008, 6, 2), services=("information",), group_session_id=None,
    group_session_topic=None, client_pseudonym="a", category="national", sex="male",
    age_years=30, urban=True, employment_status="unemployed", previous_stays=(),
    migration_intention="labour", preferred_destinations=(), permit_status="")

CENTRES = [
    CentreRecord("AL", "c-tirana", "Tirana"),
    CentreRecord("MK", "c-skopje", "Skopje"),
    CentreRecord("MK", "c-bitola", "Bitola"),
    CentreRecord("RS", "c-beograd", "Beograd", active=False),
]

# Client "a" of AL comes twice and has found work by the second visit; "a" of RS is someone
# else (pseudonyms differ between tenants, and here they collide on purpose); "c" and "e" attend
# group sessions; "d" is the one immigrant.
A_FIRST = replace(BASE, visit_id="v1", previous_stays=(("DE", "asylum"), ("DE", "work")))
VISITS = [
    A_FIRST,
    replace(A_FIRST, visit_id="v2", visit_date=date(2008, 7, 1),
            services=("information", "counselling"), age_years=31, employment_status="employed"),
    replace(BASE, visit_id="v3", client_pseudonym="b", category="returnee", sex="female",
            age_years=40, urban=False, services=("referral",),
            previous_stays=(("IT", "work"), ("GR", "work")), preferred_destinations=("IT", "CA")),
    replace(BASE, tenant_id="MK", centre_id="c-skopje", centre_name="Skopje", visit_id="v4",
            client_pseudonym="c", age_years=20, employment_status="student",
            migration_intention="study", preferred_destinations=("CA",)),
    replace(BASE, tenant_id="MK", centre_id="c-skopje", centre_name="Skopje", visit_id="v5",
            client_pseudonym="d", category="immigrant", age_years=45,
            employment_status="employed", migration_intention="none",
            permit_status="work_permit"),
    replace(BASE, tenant_id="MK", centre_id="c-skopje", centre_name="Skopje", visit_id="v6",
            visit_date=date(2008, 7, 10), services=("counselling",), group_session_id="s1",
            group_session_topic="CV", client_pseudonym="c", age_years=20,
            employment_status="student", migration_intention="study",
            preferred_destinations=("CA",)),
    replace(BASE, tenant_id="MK", centre_id="c-bitola", centre_name="Bitola", visit_id="v7",
            visit_date=date(2008, 8, 5), services=("counselling",), group_session_id="s2",
            group_session_topic="CV", client_pseudonym="e", sex="female", age_years=35,
            urban=False, preferred_destinations=("IT", "DE")),
    replace(BASE, tenant_id="RS", centre_id="c-beograd", centre_name="Beograd", visit_id="v8",
            age_years=50, migration_intention="none", preferred_destinations=("US",)),
]

# What the visits above give, written as a report would publish it.
REPORT: dict[str, Any] = {
    "_about": "hand-computed from VISITS",
    "period": {"start": "2008-06-01", "end": "2008-08-31"},
    "tenants": ["AL", "MK", "RS"],
    "centres_in_region": 3,
    "clients_total": 6,
    "visits_total": 8,
    "immigrant_clients": 1,
    "immigrant_share_of_clients_pct": 16.7,
    "national_clients": 5,
    "visitors_rank_top3": ["MK", "AL", "RS"],
    "nationals": {
        "male_pct": 60,
        "mean_age_years_range": [35, 36],
        "urban": "majority",
        "unemployed_pct": 60,
        "previous_migration_experience": "almost half",
        "previous_migration_main_purposes": ["work", "asylum"],
        "previous_destinations_top3": ["DE", "GR", "IT"],
        "main_interest": "labour migration",
        "preferred_destinations_top5": ["CA", "IT", "DE", "US"],
    },
    "service_mix_pct": {"information": 56, "counselling": 33, "referral": 11},
    "immigrants": {
        "count": 1,
        "tenants_with_most_top3": ["MK"],
        "tenants_with_none": ["AL", "RS"],
        "majority_status": "work permit holder",
        "majority_employment": "employed",
    },
    "group_sessions_example": {"centres": ["Skopje", "Bitola"], "sessions": 2, "topic": "CV",
                               "clients_benefited_min": 2},
}


@pytest.fixture(scope="module")
def figures() -> QuarterlyFigures:
    return quarterly_figures(iter(VISITS), centres=CENTRES)


def test_a_client_counts_once_and_every_visit_counts(figures: QuarterlyFigures) -> None:
    assert figures.visits_total == 8
    assert figures.clients_total == 6  # "a" twice in AL is one client; "a" of RS is another
    assert figures.clients_by_tenant.counts == (("MK", 3), ("AL", 2), ("RS", 1))


def test_the_profile_is_the_one_of_the_latest_visit(figures: QuarterlyFigures) -> None:
    # AL's "a" was unemployed on the first visit and employed on the second.
    assert figures.nationals.unemployed == Share(3, 5)
    assert figures.nationals.mean_age_years == pytest.approx((31 + 40 + 20 + 35 + 50) / 5)
    assert figures.nationals.median_age_years == 35
    assert dict(figures.nationals.age_bands.counts) == {"15-24": 1, "25-34": 1, "35-44": 2,
                                                        "45-54": 1}


def test_a_visit_with_two_services_counts_two(figures: QuarterlyFigures) -> None:
    assert figures.services.counts == (("information", 5), ("counselling", 3), ("referral", 1))
    assert figures.services.whole == 9


def test_immigrants_apart_from_nationals_and_returnees(figures: QuarterlyFigures) -> None:
    assert figures.immigrant_clients == Share(1, 6)
    assert figures.national_clients == 5  # the returnee is a national client
    assert figures.nationals.male == Share(3, 5)
    assert figures.immigrants.by_tenant.counts == (("MK", 1),)
    assert figures.immigrants.tenants_with_none == ("AL", "RS")
    assert figures.immigrants.permit_status.share("work_permit") == Share(1, 1)


def test_previous_migration_counts_clients_not_stays(figures: QuarterlyFigures) -> None:
    nationals = figures.nationals
    assert nationals.previous_migration == Share(2, 5)
    # "b" stayed twice for work: one client. Equal counts rank by code.
    assert nationals.previous_purposes.counts == (("work", 2), ("asylum", 1))
    assert nationals.previous_destinations.top(3) == ("DE", "GR", "IT")


def test_every_listed_preference_counts_once(figures: QuarterlyFigures) -> None:
    assert figures.nationals.preferred_destinations.counts == (
        ("CA", 2), ("IT", 2), ("DE", 1), ("US", 1))
    assert figures.nationals.migration_intentions.leader == "labour"


def test_centres_and_group_sessions(figures: QuarterlyFigures) -> None:
    assert figures.centres_in_region == 3  # Beograd is inactive
    assert figures.tenants == ("AL", "MK", "RS")
    [sessions] = figures.group_sessions
    assert (sessions.topic, sessions.sessions, sessions.centres, sessions.attendees) == (
        "CV", 2, ("Bitola", "Skopje"), 2)


def test_no_visits_gives_empty_figures() -> None:
    figures = quarterly_figures([], centres=CENTRES[:1])
    assert (figures.clients_total, figures.visits_total, figures.centres_in_region) == (0, 0, 1)
    assert figures.nationals.mean_age_years is None
    assert figures.immigrant_clients.percent == 0


def test_the_hand_computed_report_matches(figures: QuarterlyFigures) -> None:
    assert compare_with_reference(figures, REPORT) == []


@pytest.mark.parametrize(("path", "published"), [
    ("clients_total", 7),
    ("immigrant_share_of_clients_pct", 16.8),
    ("nationals.male_pct", 61),
    ("service_mix_pct.information", 57),
    ("visitors_rank_top3", ["AL", "MK", "RS"]),
    ("nationals.previous_destinations_top3", ["DE", "IT", "GR"]),
    ("nationals.mean_age_years_range", [30, 34]),
    ("nationals.urban", "almost half"),
    ("nationals.main_interest", "study"),
    ("immigrants.majority_status", "residence permit holder"),
    ("immigrants.tenants_with_none", ["AL"]),
    ("group_sessions_example.centres", ["Skopje"]),
    ("group_sessions_example.clients_benefited_min", 3),
    ("period.end", "2008-07-31"),
])
def test_a_figure_that_differs_is_reported(figures: QuarterlyFigures, path: str,
                                           published: Any) -> None:
    report = copy.deepcopy(REPORT)
    *parents, name = path.split(".")
    target = report
    for parent in parents:
        target = target[parent]
    target[name] = published
    [problem] = compare_with_reference(figures, report)
    assert problem.startswith(f"{path}: published {published!r}, computed ")


def test_a_figure_without_a_rule_is_reported(figures: QuarterlyFigures) -> None:
    problems = compare_with_reference(figures, {**REPORT, "returnee_clients": 1})
    assert problems == ["returnee_clients: published 1, but no rule computes it"]


def test_an_unknown_qualifier_is_reported(figures: QuarterlyFigures) -> None:
    report = copy.deepcopy(REPORT)
    report["nationals"]["urban"] = "most"
    [problem] = compare_with_reference(figures, report)
    assert "unknown qualifier 'most'" in problem


@pytest.mark.parametrize(("share", "published", "matches"), [
    (Share(68, 1003), 6.7, True),   # 6.78 %, truncated as the 2008 report printed it
    (Share(68, 1003), 6.8, True),   # rounded
    (Share(68, 1003), 6.9, False),
    (Share(68, 1003), 6.6, False),
    (Share(1, 8), 13, True),        # 12.5 rounds half up
    (Share(1, 8), 12.5, True),
    (Share(1, 8), 12.6, False),
    (Share(702, 935), 75, True),
    (Share(697, 935), 75, True),    # 74.55 % rounds to 75
    (Share(696, 935), 75, False),   # 74.44 %
])
def test_percent_matches_rounded_or_truncated(share: Share, published: float,
                                              matches: bool) -> None:
    assert percent_matches(share, published) is matches
