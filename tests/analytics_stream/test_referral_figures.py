"""Referral figures from hand-built records, and how the summary shows them: in full to the
tenant, with small groups withheld (and what could be subtracted out) across tenants."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from analytics_stream.figures import Share, quarterly_figures
from analytics_stream.referral_figures import Completion, ReferralRecord, referral_figures
from analytics_stream.statistics import Scope, summary

SENT = datetime(2008, 7, 1, 9, 0, tzinfo=UTC)
BASE = ReferralRecord(
    tenant_id="AL", referral_id="r0", client_pseudonym="a", organization_id="org-1",
    organization_name="Tirana Language School", need="skills:language-course", state="sent",
    sent_at=SENT, answered_at=None, suggestion_rank=1)


def _answered(hours: float) -> datetime:
    return SENT + timedelta(hours=hours)


# Client "a" has two referrals; "e" was sent further down the suggestions and "f" outside them.
RECORDS = [
    replace(BASE, referral_id="r1", state="completed", answered_at=_answered(2)),
    replace(BASE, referral_id="r2", state="in_progress", answered_at=_answered(4)),
    replace(BASE, referral_id="r3", client_pseudonym="b", state="declined",
            answered_at=_answered(30)),
    replace(BASE, referral_id="r4", client_pseudonym="c", state="cancelled",
            answered_at=_answered(1)),  # cancelled by the sender after acceptance
    replace(BASE, referral_id="r5", client_pseudonym="d", state="cancelled"),  # before an answer
    replace(BASE, referral_id="r6", client_pseudonym="e", state="expired", suggestion_rank=2,
            organization_id="org-2", organization_name="Adriatic Language Centre"),
    replace(BASE, referral_id="r7", client_pseudonym="f", state="not_completed",
            answered_at=_answered(10), suggestion_rank=None, need="skills:cv-job-search",
            organization_id="org-2", organization_name="Adriatic Language Centre"),
    replace(BASE, referral_id="r8", client_pseudonym="g"),  # still waiting
]


def test_the_figures_follow_the_definitions() -> None:
    figures = referral_figures(RECORDS, tenants=("AL", "RS"))
    total = figures.total
    assert (total.sent, len(total.clients)) == (8, 7)
    assert (total.accepted, total.declined, total.waiting, total.expired) == (4, 1, 1, 1)
    assert (total.completed, total.not_completed, total.cancelled) == (1, 1, 2)
    # Answers after 1, 2, 4, 10 and 30 hours; the expired referral was never answered.
    assert (total.median_hours_to_answer, total.answered_clients) == (4.0, 4)
    assert figures.top_suggestion == Completion(
        referrals=6, completed=Share(1, 4), ended_clients=4)  # r1 completed; r3, r4, r5 not
    assert figures.other_choice == Completion(
        referrals=2, completed=Share(0, 2), ended_clients=2)
    assert [(g.key, g.sent) for g in figures.by_tenant] == [("AL", 8), ("RS", 0)]
    assert [(g.name, g.sent) for g in figures.by_institution] == [
        ("Tirana Language School", 6), ("Adriatic Language Centre", 2)]
    assert [(g.key, g.sent) for g in figures.by_need] == [
        ("skills:language-course", 7), ("skills:cv-job-search", 1)]


def test_an_institution_is_named_as_on_its_latest_referral() -> None:
    renamed = replace(RECORDS[0], referral_id="r9", sent_at=SENT + timedelta(days=3),
                      organization_name="Tirana Language Academy")
    figures = referral_figures([*RECORDS, renamed])
    assert figures.by_institution[0].name == "Tirana Language Academy"
    assert referral_figures([]).total.median_hours_to_answer is None


def _people(count: int, prefix: str, **fields: Any) -> list[ReferralRecord]:
    return [replace(BASE, referral_id=f"{prefix}{n}", client_pseudonym=f"{prefix}{n}", **fields)
            for n in range(count)]


def _summary(records: list[ReferralRecord], *, controlled: bool,
             centre_id: str | None = None) -> dict[str, Any]:
    scope = Scope(tenants=("AL", "RS"), start=date(2008, 7, 1), end=date(2008, 7, 31),
                  centre_id=centre_id, controlled=controlled)
    section = summary(scope, quarterly_figures([], centres=[]),
                      referral_figures(records, tenants=scope.tenants))["referrals"]
    assert isinstance(section, dict)
    return section


# 30 clients at institution 1 (12 of them completed), 4 at institution 2 and 7 at institution 3.
REGION = (_people(18, "a", state="accepted", answered_at=_answered(3))
          + _people(12, "b", state="completed", answered_at=_answered(5))
          + _people(4, "c", organization_id="org-2", organization_name="Small Centre")
          + _people(7, "d", organization_id="org-3", organization_name="Medium Centre",
                    tenant_id="RS", need="skills:cv-job-search"))


def test_across_tenants_small_groups_are_withheld_and_cannot_be_subtracted_out() -> None:
    shown = _summary(REGION, controlled=True)
    assert (shown["sent"], shown["clients"], shown["accepted"], shown["completed"]) == (
        41, 41, 30, 12)
    assert (shown["declined"], shown["waiting"]) == (0, 11)
    institutions = {row["name"]: row for row in shown["by_institution"]}
    assert institutions["Tirana Language School"]["sent"] == 30
    # 4 and 7 clients: each withheld, and together they describe 11, so 41 - 30 is no one's.
    assert institutions["Small Centre"]["sent"] is None
    assert institutions["Medium Centre"]["sent"] is None
    assert institutions["Medium Centre"]["id"] == "org-3"  # the directory entry itself is public
    needs = {row["need"]: row for row in shown["by_need"]}
    # The one small need could be had as 41 minus the other: so the other is withheld too.
    assert needs["skills:cv-job-search"]["sent"] is None
    assert needs["skills:language-course"]["sent"] is None
    tenants = {row["tenant"]: row["sent"] for row in shown["by_tenant"]}
    assert tenants == {"AL": None, "RS": None}
    routing = shown["top_suggestion"]
    assert routing == {"chosen": 41, "other": 0, "chosen_pct": 100.0,
                       "completion_pct_when_chosen": 100.0,  # the 12 that ended completed
                       "completion_pct_otherwise": None}
    assert shown["median_hours_to_answer"] == 3.0


def test_groups_sharing_clients_count_them_once_when_withheld_together() -> None:
    # The same 6 clients referred to two institutions: 12 referrals, but 6 people withheld.
    shared = _people(6, "s", organization_id="org-2") + _people(6, "s", organization_id="org-3")
    shown = _summary(_people(20, "a") + shared, controlled=True)
    rows = {row["id"]: row["sent"] for row in shown["by_institution"]}
    assert rows == {"org-1": None, "org-2": None, "org-3": None}


def test_too_few_clients_withhold_the_whole_section_but_zeros() -> None:
    shown = _summary(REGION[:5], controlled=True)
    assert shown["sent"] is None and shown["median_hours_to_answer"] is None
    assert set(shown["top_suggestion"].values()) == {None}
    assert {row["tenant"]: row["sent"] for row in shown["by_tenant"]} == {
        "AL": None, "RS": 0}


def test_a_tenant_sees_its_own_figures_in_full_and_a_centre_none() -> None:
    shown = _summary(RECORDS, controlled=False)
    assert (shown["sent"], shown["accepted"], shown["median_hours_to_answer"]) == (8, 4, 4.0)
    assert shown["by_institution"][1] == {
        "id": "org-2", "name": "Adriatic Language Centre", "clients": 2, "sent": 2,
        "accepted": 1, "declined": 0, "completed": 0, "not_completed": 1, "cancelled": 0,
        "expired": 1, "waiting": 0, "median_hours_to_answer": 10.0}
    assert shown["top_suggestion"] == {"chosen": 6, "other": 2, "chosen_pct": 75.0,
                                       "completion_pct_when_chosen": 25.0,
                                       "completion_pct_otherwise": 0.0}
    centre = _summary(RECORDS, controlled=True, centre_id="c-1")
    assert set(centre) == {"not_applicable"}
    assert "per centre" in str(centre["not_applicable"])
