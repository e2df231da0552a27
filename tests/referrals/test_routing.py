"""Routing ranks the directory's services for a client and explains every place, without a DB."""

from __future__ import annotations

import json
import math
import random
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from referrals.routing import (
    DEFAULT_WEIGHTS,
    ISCED_LEVELS,
    RULES,
    TARGET_GROUPS,
    Candidate,
    ClientFacts,
    InstitutionRecord,
    Ranking,
    ScoreComponent,
    Suggestion,
    Weights,
    client_target_groups,
    expected_wait_days,
    rank,
    record_score,
)

TODAY = date(2025, 3, 3)

CLIENT = ClientFacts(
    age=27, education_level="isced3",
    target_groups=client_target_groups("returnee", "female", 27, "unemployed"),
    municipality_code="AL-TIR", languages=("sq", "en"))


def service(service_id: str = "s1", **changes: Any) -> Candidate:
    """An eligible service in the client's municipality with half its seats free."""
    base = Candidate(
        service_id=service_id, service_name=f"Course {service_id}", organization_id="o1",
        organization_name="Tirana Vocational Training Centre", municipality_codes=("AL-TIR",),
        distance_km=3.0, online=False, languages=("sq",), target_groups=("returnees", "youth"),
        minimum_age=18, maximum_age=35, minimum_education="isced2", seats_total=20,
        seats_available=10, waiting_list_open=False, waiting_list_length=0,
        next_intake_date=None, record=InstitutionRecord.empty())
    return replace(base, **changes)


def only(candidate: Candidate, client: ClientFacts = CLIENT,
         weights: Weights = DEFAULT_WEIGHTS) -> Ranking:
    return rank([candidate], client, weights, TODAY)


def components(candidate: Candidate, weights: Weights = DEFAULT_WEIGHTS) -> dict[
        str, ScoreComponent]:
    [suggestion] = only(candidate, weights=weights).suggestions
    return {part.name: part for part in suggestion.components}


def ids(suggestions: list[Suggestion]) -> list[str]:
    return [s.candidate.service_id for s in suggestions]


# --- Ranking and explanation -------------------------------------------------------------------


def test_the_eligible_nearer_freer_service_ranks_first_and_says_why() -> None:
    near_free = service("near", seats_available=15)
    far = service("far", municipality_codes=("AL-DUR",), distance_km=40.0, seats_available=15)
    near_tight = service("tight", seats_available=1)
    too_old = service("old", minimum_age=30)
    ranking = rank([far, too_old, near_tight, near_free], CLIENT, DEFAULT_WEIGHTS, TODAY)

    # 40 km away costs less than 14 of 20 seats taken, under the default weights.
    assert ids(ranking.suggestions) == ["near", "far", "tight"]
    assert [s.rank for s in ranking.suggestions] == [1, 2, 3]
    assert [e.candidate.service_id for e in ranking.excluded] == ["old"]

    best = ranking.suggestions[0]
    assert best.score == round(sum(part.contribution for part in best.components), 4)
    why = best.explanation()
    assert json.loads(json.dumps(why)) == why  # JSON-ready as it is
    assert (why["service_id"], why["organization_name"]) == (
        "near", "Tirana Vocational Training Centre")
    assert why["score"] == best.score and why["eligible"] is True
    rules_shown = cast(list[dict[str, object]], why["rules"])
    assert [rule["rule"] for rule in rules_shown] == list(RULES)
    assert all(rule["passed"] for rule in rules_shown)
    parts = {part["name"]: part for part in cast(list[dict[str, object]], why["components"])}
    assert set(parts) == {"distance", "capacity", "waiting", "record"}
    assert "client's municipality (AL-TIR)" in str(parts["distance"]["detail"])
    assert parts["capacity"]["detail"] == "15 of 20 seats free (75%)"
    assert parts["capacity"]["contribution"] == round(0.75 * 0.25, 4)
    assert "no referrals answered yet" in str(parts["record"]["detail"])
    rules = {rule.rule: rule.detail for rule in best.rules}
    assert rules["eligibility.age"] == "client is 27; service takes 18–35"
    assert rules["eligibility.target_group"] == (
        "client is returnees, youth (15–29); service serves returnees, youth (15–29)")
    assert rules["language"] == "client speaks sq; service is offered in sq"
    assert "upper secondary education (ISCED 3)" in rules["eligibility.education"]

    far_parts = {part.name: part for part in ranking.suggestions[1].components}
    assert far_parts["distance"].detail == "40 km away"
    assert far_parts["distance"].value == pytest.approx(1 - 40 / 150)
    assert (far_parts["distance"].code, dict(far_parts["distance"].params)) == (
        "distance.km", {"km": 40})


def test_each_reason_has_a_code_and_values_to_say_it_in_any_language() -> None:
    [best] = only(service(seats_available=15)).suggestions
    why = best.explanation()
    rules = {r["rule"]: (r["code"], r["params"])
             for r in cast(list[dict[str, object]], why["rules"])}
    assert rules == {
        "eligibility.target_group": ("target_group.match", {
            "client_groups": ["returnees", "youth"], "served": ["returnees", "youth"]}),
        "eligibility.age": ("age.between", {"age": 27, "minimum": 18, "maximum": 35}),
        "eligibility.education": ("education.compared",
                                  {"client_level": "isced3", "minimum": "isced2"}),
        "language": ("language.shared", {"shared": ["sq"], "offered": ["sq"]}),
        "capacity": ("capacity.free", {"available": 15, "total": 20}),
    }
    parts = {c["name"]: (c["code"], c["params"])
             for c in cast(list[dict[str, object]], why["components"])}
    assert parts == {
        "distance": ("distance.local", {"municipality": "AL-TIR"}),
        "capacity": ("seats.free_share", {"available": 15, "total": 20, "percent": 75}),
        "waiting": ("waiting.free", {"intake": "unknown", "intake_date": None, "in_days": None,
                                     "days": 0, "queue": 0}),
        "record": ("record.none", {}),
    }
    closed = service(minimum_age=40, maximum_age=None, minimum_education="isced8",
                     target_groups=("immigrants",),
                     languages=("de",), seats_available=0, waiting_list_open=False)
    [exclusion] = only(closed, client=replace(CLIENT, education_level="")).excluded
    assert [(r.code, dict(r.params)) for r in exclusion.rules] == [
        ("target_group.no_match", {"client_groups": ["returnees", "unemployed", "women", "youth"],
                                   "served": ["immigrants"]}),
        ("age.minimum", {"age": 27, "minimum": 40, "maximum": None}),
        ("education.not_recorded", {"minimum": "isced8"}),
        ("language.not_offered", {"offered": ["de"], "client_languages": ["sq", "en"]}),
        ("capacity.closed", {}),
    ]


@pytest.mark.parametrize(("changes", "rule", "detail"), [
    ({"minimum_age": 30}, "eligibility.age", "client is 27; service takes 30–35"),
    ({"minimum_age": 30, "maximum_age": None}, "eligibility.age",
     "client is 27; service takes 30 and over"),
    ({"minimum_age": None, "maximum_age": 25}, "eligibility.age", "client is 27; service takes "
                                                                  "up to 25"),
    ({"minimum_education": "isced6"}, "eligibility.education",
     "client has upper secondary education (ISCED 3); service requires bachelor's or equivalent "
     "(ISCED 6) or higher"),
    ({"target_groups": ("immigrants",)}, "eligibility.target_group",
     "service serves only immigrants; client is returnees, unemployed, women, youth (15–29)"),
    ({"languages": ("mk", "de")}, "language",
     "service is offered only in mk, de; client speaks sq, en"),
    ({"seats_available": 0, "waiting_list_open": False}, "capacity",
     "no free seats and the waiting list is closed"),
])
def test_an_ineligible_service_is_excluded_with_the_failing_rule(
        changes: dict[str, Any], rule: str, detail: str) -> None:
    ranking = only(service(**changes))
    assert ranking.suggestions == []
    [exclusion] = ranking.excluded
    assert exclusion.failed == [rule]
    failed = {r.rule: r for r in exclusion.rules}[rule]
    assert (failed.passed, failed.detail) == (False, detail)
    why = exclusion.explanation()
    assert json.loads(json.dumps(why)) == why
    assert (why["eligible"], why["score"], why["failed"]) == (False, None, [rule])


def test_every_rule_is_evaluated_so_an_exclusion_lists_all_its_reasons() -> None:
    candidate = service(minimum_age=40, minimum_education="isced8", target_groups=("immigrants",),
                        languages=("de",), seats_available=0, waiting_list_open=False)
    [exclusion] = only(candidate).excluded
    assert exclusion.failed == list(RULES)
    assert [r.rule for r in exclusion.rules] == list(RULES)
    assert all(not r.passed and r.detail for r in exclusion.rules)


def test_unrestricted_services_and_an_open_waiting_list_keep_a_service_eligible() -> None:
    candidate = service(languages=(), target_groups=(), minimum_age=None, maximum_age=None,
                        minimum_education="", seats_available=0, waiting_list_open=True,
                        waiting_list_length=12)
    [suggestion] = only(candidate).suggestions
    details = {r.rule: r.detail for r in suggestion.rules}
    assert details == {
        "eligibility.target_group": "service is open to every group",
        "eligibility.age": "client is 27; service has no age limit",
        "eligibility.education": "service has no minimum education",
        "language": "service has no language requirement",
        "capacity": "no free seats, waiting list open (12 waiting)",
    }
    assert {part.name: part.value for part in suggestion.components}["capacity"] == 0.0


def test_language_codes_match_regardless_of_case_and_an_unrecorded_education_fails() -> None:
    assert only(service(languages=("SQ",))).suggestions
    client = replace(CLIENT, education_level="")
    [exclusion] = only(service(), client=client).excluded
    assert exclusion.failed == ["eligibility.education"]
    assert "not recorded" in exclusion.rules[2].detail
    assert only(service(minimum_education=""), client=client).suggestions


# --- Score components --------------------------------------------------------------------------


@pytest.mark.parametrize(("changes", "value", "detail"), [
    ({}, 1.0, "has a location in the client's municipality (AL-TIR)"),
    ({"municipality_codes": ("AL-DUR", "AL-TIR"), "distance_km": None}, 1.0, None),
    ({"municipality_codes": ("AL-DUR",), "distance_km": 75.0}, 0.5, "75 km away"),
    ({"municipality_codes": ("AL-DUR",), "distance_km": 400.0}, 0.0, "400 km away"),
    ({"municipality_codes": ("AL-SHK",), "distance_km": 140.0, "online": True}, 0.8,
     "140 km away, but offered online"),
    ({"municipality_codes": ("AL-SHK",), "distance_km": 15.0, "online": True}, 0.9, "15 km away"),
    ({"municipality_codes": (), "distance_km": None}, 0.25, "distance unknown"),
    ({"municipality_codes": (), "distance_km": None, "online": True}, 0.8,
     "distance unknown; offered online"),
])
def test_distance_score(changes: dict[str, Any], value: float, detail: str | None) -> None:
    part = components(service(**changes))["distance"]
    assert part.value == pytest.approx(value)
    assert part.weight == pytest.approx(0.35)
    assert part.contribution == pytest.approx(value * 0.35)
    if detail is not None:
        assert part.detail == detail


@pytest.mark.parametrize(("changes", "value", "detail"), [
    ({"seats_available": 5}, 0.25, "5 of 20 seats free (25%)"),
    ({"seats_available": 20}, 1.0, "20 of 20 seats free (100%)"),
    ({"seats_available": 30}, 1.0, None),  # more free than the total: a stale total, capped
    ({"seats_total": None, "seats_available": 4}, 1.0, "4 seats free"),
    ({"seats_total": None, "seats_available": None}, 0.5, "capacity not tracked; neutral score"),
    ({"seats_available": 0, "waiting_list_open": True}, 0.0,
     "no free seats; only the waiting list"),
])
def test_capacity_score(changes: dict[str, Any], value: float, detail: str | None) -> None:
    part = components(service(**changes))["capacity"]
    assert part.value == pytest.approx(value)
    if detail is not None:
        assert part.detail == detail


@pytest.mark.parametrize(("changes", "days"), [
    ({}, 0.0),  # free seats, intake date unknown
    ({"next_intake_date": TODAY + timedelta(days=14)}, 0.0),
    ({"next_intake_date": TODAY - timedelta(days=3)}, 0.0),
    ({"next_intake_date": TODAY + timedelta(days=45)}, 45.0),
    ({"seats_available": None, "seats_total": None,
      "next_intake_date": TODAY + timedelta(days=30)}, 30.0),
    # Full: the queue takes its turn, 7 days per waiting client per seat, after the intake.
    ({"seats_available": 0, "waiting_list_open": True, "waiting_list_length": 20}, 7.0),
    ({"seats_available": 0, "waiting_list_open": True, "waiting_list_length": 10,
      "next_intake_date": TODAY + timedelta(days=10)}, 13.5),
    ({"seats_available": 0, "waiting_list_open": True, "waiting_list_length": 400,
      "next_intake_date": TODAY + timedelta(days=90)}, 230.0),
])
def test_waiting_score(changes: dict[str, Any], days: float) -> None:
    candidate = service(**changes)
    assert expected_wait_days(candidate.seats_total, candidate.seats_available,
                              candidate.waiting_list_length, candidate.next_intake_date,
                              TODAY) == pytest.approx(days)
    part = components(candidate)["waiting"]
    assert part.value == pytest.approx(1 - min(days, 180) / 180)
    assert f"expected wait {'about ' if candidate.seats_available == 0 else ''}" \
           f"{days:.0f} days" in part.detail


def test_a_new_institution_is_neither_punished_nor_favoured() -> None:
    assert record_score(InstitutionRecord.empty()) == 0.5
    part = components(service())["record"]
    assert (part.value, part.detail) == (0.5, "no referrals answered yet; neutral score")
    # An average record scores the same as none at all, so the two tie (and the name decides).
    average = InstitutionRecord(answered=40, accepted=20, declined=20, finished=10, completed=5,
                                median_hours_to_answer=60.0)
    assert record_score(average) == pytest.approx(0.5)
    new, known = service("b-new"), service("a-known", record=average)
    ranking = rank([new, known], CLIENT, DEFAULT_WEIGHTS, TODAY)
    assert ranking.suggestions[0].score == ranking.suggestions[1].score
    assert ids(ranking.suggestions) == ["a-known", "b-new"]


def test_few_referrals_prove_little_and_many_prove_much() -> None:
    one_good = InstitutionRecord(1, 1, 0, 1, 1, 0.0)
    many_good = InstitutionRecord(200, 200, 0, 150, 150, 0.0)
    one_bad = InstitutionRecord(1, 0, 1, 1, 0, 500.0)
    many_bad = InstitutionRecord(200, 0, 200, 150, 0, 500.0)
    assert record_score(one_good) == pytest.approx(3.5 / 6)
    assert record_score(one_bad) == pytest.approx(2.5 / 6)
    assert record_score(many_good) > 0.97
    assert record_score(many_bad) < 0.03
    # Answer time weighs as much as the answers it is the median of; unknown is neutral.
    assert record_score(InstitutionRecord(10, 5, 5, 0, 0, None)) == pytest.approx(0.5)
    detail = components(service(record=one_good))["record"].detail
    assert detail.startswith("accepted 1 of 1 answered, completed 1 of 1 finished, median "
                             "answer 0 h")


# --- Weights -----------------------------------------------------------------------------------


def test_weights_change_the_order() -> None:
    near_full = service("near-full", seats_available=0, waiting_list_open=True,
                        waiting_list_length=10)
    far_free = service("far-free", municipality_codes=("AL-KOR",), distance_km=120.0,
                       seats_available=20)
    both = [near_full, far_free]
    assert ids(rank(both, CLIENT, DEFAULT_WEIGHTS, TODAY).suggestions) == ["near-full",
                                                                           "far-free"]
    capacity_first = Weights(distance=0.1, capacity=1.0, waiting=0.2, record=0.2)
    ranking = rank(both, CLIENT, capacity_first, TODAY)
    assert ids(ranking.suggestions) == ["far-free", "near-full"]
    weights = {part.name: part.weight for part in ranking.suggestions[0].components}
    assert weights == pytest.approx({"distance": 0.1 / 1.5, "capacity": 1 / 1.5,
                                     "waiting": 0.2 / 1.5, "record": 0.2 / 1.5})
    # Only the proportions matter.
    doubled = Weights(**{name: 2 * value for name, value in capacity_first.as_dict().items()})
    assert rank(both, CLIENT, doubled, TODAY) == ranking


def test_weights_are_validated_normalised_and_read_from_a_mapping() -> None:
    assert DEFAULT_WEIGHTS.as_dict() == {"distance": 0.35, "capacity": 0.25, "waiting": 0.2,
                                         "record": 0.2}
    normal = Weights(1, 1, 1, 1).normalised()
    assert normal == Weights(0.25, 0.25, 0.25, 0.25)
    assert sum(Weights(3, 0, 1, 0.5).normalised().as_dict().values()) == pytest.approx(1.0)
    assert Weights.from_mapping(DEFAULT_WEIGHTS.as_dict()) == DEFAULT_WEIGHTS
    from_settings = Weights.from_mapping({"distance": Decimal("0.35"), "capacity": 0.25,
                                          "waiting": Decimal("0.2"), "record": 0.2})
    assert from_settings == DEFAULT_WEIGHTS
    assert all(type(value) is float for value in Weights(1, 0, 0, 0).as_dict().values())
    with pytest.raises(ValueError, match=r"non-negative.*capacity=-0\.1"):
        Weights(0.5, -0.1, 0.2, 0.2)
    with pytest.raises(ValueError, match="at least one weight must be positive"):
        Weights(0, 0, 0, 0)
    with pytest.raises(ValueError, match="waiting=nan"):
        Weights(1, 1, math.nan, 1)
    with pytest.raises(ValueError, match="missing record; unknown speed"):
        Weights.from_mapping({"distance": 1, "capacity": 1, "waiting": 1, "speed": 1})
    with pytest.raises(ValueError, match="distance='a lot'"):
        Weights.from_mapping({"distance": "a lot", "capacity": 1, "waiting": 1, "record": 1})
    with pytest.raises(ValueError, match="record=True"):
        Weights.from_mapping({"distance": 1, "capacity": 1, "waiting": 1, "record": True})


# --- Inputs ------------------------------------------------------------------------------------


def test_client_target_groups_follow_the_intake_codes() -> None:
    assert client_target_groups("returnee", "female", 27, "unemployed") == {
        "returnees", "youth", "unemployed", "women"}
    assert client_target_groups("immigrant", "male", 30, "employed") == {"immigrants"}
    assert client_target_groups("national", "other", 15, "student") == {"youth"}
    assert client_target_groups("national", "male", 29, "inactive") == {"youth"}
    assert client_target_groups("national", "male", 14, "unemployed",
                                extra=["long_term_unemployed"]) == {
        "unemployed", "long_term_unemployed"}


def test_bad_directory_rows_fail_where_they_are_built() -> None:
    with pytest.raises(ValueError, match="unknown education level 'secondary'"):
        service(minimum_education="secondary")
    with pytest.raises(ValueError, match="seats_available must not be negative"):
        service(seats_available=-1)
    with pytest.raises(ValueError, match="distance_km"):
        service(distance_km=math.nan)
    with pytest.raises(ValueError, match="accepted must not be negative"):
        InstitutionRecord(1, -1, 0, 0, 0, None)
    with pytest.raises(ValueError, match="unknown education level"):
        replace(CLIENT, education_level="isced9")


# --- Determinism and properties ----------------------------------------------------------------


def test_ties_are_broken_by_distance_then_name_then_id_whatever_the_input_order() -> None:
    # All local with the same seats and record: the same score, so only the tie-break decides.
    tied = [
        service("s9", service_name="Albanian A1", distance_km=5.0),
        service("s3", service_name="Albanian A1", distance_km=2.0),
        service("s2", service_name="albanian a1", distance_km=2.0),
        service("s1", service_name="Basic Albanian", distance_km=2.0),
        service("s0", service_name="Albanian A1", distance_km=None),
    ]
    expected = ["s0", "s2", "s3", "s1", "s9"]
    shuffler = random.Random(7)
    for _ in range(10):
        shuffler.shuffle(tied)
        ranking = rank(tied, CLIENT, DEFAULT_WEIGHTS, TODAY)
        assert len({s.score for s in ranking.suggestions}) == 1
        assert ids(ranking.suggestions) == expected


def test_exclusions_are_listed_by_name_whatever_the_input_order() -> None:
    closed = {"seats_available": 0, "waiting_list_open": False}
    excluded = [service("x2", service_name="Welding", **closed),
                service("x1", service_name="Baking", **closed)]
    ranking = rank(excluded[::-1], CLIENT, DEFAULT_WEIGHTS, TODAY)
    assert [e.candidate.service_id for e in ranking.excluded] == ["x1", "x2"]
    assert ranking == rank(excluded, CLIENT, DEFAULT_WEIGHTS, TODAY)


def _codes(values: list[str], most: int) -> st.SearchStrategy[tuple[str, ...]]:
    return st.lists(st.sampled_from(values), max_size=most, unique=True).map(tuple)


records = st.builds(
    InstitutionRecord, answered=st.integers(0, 300), accepted=st.integers(0, 300),
    declined=st.integers(0, 300), finished=st.integers(0, 300), completed=st.integers(0, 300),
    median_hours_to_answer=st.none() | st.floats(0, 1000))
ages = st.none() | st.integers(0, 80)
candidates = st.builds(
    Candidate, service_id=st.just(""), service_name=st.sampled_from(["A", "B", "b", "C"]),
    organization_id=st.sampled_from(["o1", "o2"]), organization_name=st.just("Org"),
    municipality_codes=_codes(["AL-TIR", "AL-DUR", "XK-PRI"], 2),
    distance_km=st.none() | st.floats(0, 500), online=st.booleans(),
    languages=_codes(["sq", "en", "mk", "sr"], 2),
    target_groups=_codes(list(TARGET_GROUPS), 2), minimum_age=ages, maximum_age=ages,
    minimum_education=st.sampled_from(["", *ISCED_LEVELS]),
    seats_total=st.none() | st.integers(0, 40), seats_available=st.none() | st.integers(0, 50),
    waiting_list_open=st.booleans(), waiting_list_length=st.integers(0, 200),
    next_intake_date=st.none() | st.dates(TODAY - timedelta(days=60), TODAY + timedelta(days=400)),
    record=records)
clients = st.builds(
    ClientFacts, age=st.integers(0, 90), education_level=st.sampled_from(["", *ISCED_LEVELS]),
    target_groups=st.frozensets(st.sampled_from(list(TARGET_GROUPS))),
    municipality_code=st.sampled_from(["AL-TIR", "AL-DUR"]),
    languages=_codes(["sq", "en", "mk"], 3))
weights = st.tuples(*[st.floats(0, 10)] * 4).filter(any).map(lambda w: Weights(*w))


@settings(max_examples=150, deadline=None)
@given(st.lists(candidates, max_size=25), clients, weights)
def test_every_candidate_is_suggested_or_excluded_once_with_scores_in_order(
        generated: list[Candidate], client: ClientFacts, weights: Weights) -> None:
    services = [replace(c, service_id=f"s{i}") for i, c in enumerate(generated)]
    ranking = rank(services, client, weights, TODAY)

    seen = ids(ranking.suggestions) + [e.candidate.service_id for e in ranking.excluded]
    assert sorted(seen) == sorted(c.service_id for c in services)
    assert len(seen) == len(set(seen))
    assert [s.rank for s in ranking.suggestions] == list(range(1, len(ranking.suggestions) + 1))
    scores = [s.score for s in ranking.suggestions]
    assert scores == sorted(scores, reverse=True)
    for suggestion in ranking.suggestions:
        assert 0.0 <= suggestion.score <= 1.0
        assert all(rule.passed for rule in suggestion.rules)
        assert [part.name for part in suggestion.components] == [
            "distance", "capacity", "waiting", "record"]
        assert sum(part.weight for part in suggestion.components) == pytest.approx(1.0)
        for part in suggestion.components:
            assert 0.0 <= part.value <= 1.0
            assert part.code.split(".")[0] in {"distance", "seats", "waiting", "record"}
            assert part.contribution == pytest.approx(part.value * part.weight)
        total = sum(part.contribution for part in suggestion.components)
        assert suggestion.score == pytest.approx(total, abs=0.5e-4 + 1e-12)
        json.dumps(suggestion.explanation())
    for exclusion in ranking.excluded:
        assert [rule.rule for rule in exclusion.rules] == list(RULES)
        assert all(rule.code for rule in exclusion.rules)
        assert exclusion.failed == [rule.rule for rule in exclusion.rules if not rule.passed]
        assert exclusion.failed
        json.dumps(exclusion.explanation())
    # The same input in another order gives the same ranking.
    assert rank(services[::-1], client, weights, TODAY) == ranking


@given(records)
def test_a_record_score_is_a_rate(record: InstitutionRecord) -> None:
    assert 0.0 <= record_score(record) <= 1.0
