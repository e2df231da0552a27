"""Referral routing: which services of the directory fit a client's need, best first, and why.

Pure Python on purpose: the directory query and the API live elsewhere, so the ranking can be
tested, tuned and timed without a database. Hard rules exclude a service (and every rule is
evaluated, so an exclusion lists all its reasons); the remaining services are scored by four
weighted components, each explained in words a case worker can check against the directory.

The hot loop shares results between candidates: rule outcomes and most score components depend
on a few fields with few distinct values (age limits, capacity, the institution's record), so
they are computed once per call and reused. Result objects are immutable named tuples because
they are the cheapest immutable records Python builds, and a ranking builds thousands of them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from types import MappingProxyType
from typing import Any, NamedTuple

# --- Code lists --------------------------------------------------------------------------------

#: ISCED 2011 levels in order; the codes are those of the intake records.
ISCED_LEVELS: dict[str, str] = {
    "isced0": "early childhood education",
    "isced1": "primary education",
    "isced2": "lower secondary education",
    "isced3": "upper secondary education",
    "isced4": "post-secondary non-tertiary education",
    "isced5": "short-cycle tertiary education",
    "isced6": "bachelor's or equivalent",
    "isced7": "master's or equivalent",
    "isced8": "doctoral or equivalent",
}
_ISCED_RANK = {code: rank for rank, code in enumerate(ISCED_LEVELS)}

#: Target groups a service may be reserved for, with the words used in explanations.
TARGET_GROUPS: dict[str, str] = {
    "returnees": "returnees",
    "immigrants": "immigrants",
    "youth": "youth (15–29)",
    "unemployed": "unemployed",
    "long_term_unemployed": "long-term unemployed",
    "women": "women",
}

YOUTH_AGES = range(15, 30)

# Rule names, in the order they are evaluated and reported.
RULE_TARGET_GROUP = "eligibility.target_group"
RULE_AGE = "eligibility.age"
RULE_EDUCATION = "eligibility.education"
RULE_LANGUAGE = "language"
RULE_CAPACITY = "capacity"
RULES = (RULE_TARGET_GROUP, RULE_AGE, RULE_EDUCATION, RULE_LANGUAGE, RULE_CAPACITY)

# Scoring constants; named so the explanations and the tests agree with the code.
DISTANCE_HORIZON_KM = 150.0  # beyond this a service counts as out of reach (score 0)
ONLINE_DISTANCE_FLOOR = 0.8  # an online service is almost as good as a local one
UNKNOWN_DISTANCE_SCORE = 0.25  # no coordinates: assume far, but not unreachable
UNTRACKED_CAPACITY_SCORE = 0.5  # capacity not tracked: neither free nor full
SOON_DAYS = 14  # a free seat with an intake this soon means no wait at all
WAIT_HORIZON_DAYS = 180.0  # waits this long or longer score 0
ANSWER_HORIZON_HOURS = 120.0  # answering after five days or later scores 0
RECORD_PRIOR = 5.0  # pseudo-referrals pulling every rate toward the neutral 0.5
NEUTRAL = 0.5


def _ints_not_negative(owner: str, **values: int | None) -> None:
    for name, value in values.items():
        if value is not None and value < 0:
            raise ValueError(f"{owner}.{name} must not be negative, got {value}")


def _check_education(owner: str, code: str) -> None:
    if code and code not in _ISCED_RANK:
        known = ", ".join(ISCED_LEVELS)
        raise ValueError(f"{owner}: unknown education level {code!r}; expected '' or {known}")


# --- Inputs ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InstitutionRecord:
    """What past referrals say about an institution; finished = completed + not completed."""

    answered: int
    accepted: int
    declined: int
    finished: int
    completed: int
    median_hours_to_answer: float | None

    def __post_init__(self) -> None:
        _ints_not_negative("InstitutionRecord", answered=self.answered, accepted=self.accepted,
                           declined=self.declined, finished=self.finished,
                           completed=self.completed)
        hours = self.median_hours_to_answer
        if hours is not None and not (math.isfinite(hours) and hours >= 0):
            raise ValueError(f"InstitutionRecord.median_hours_to_answer must be a non-negative "
                             f"number or None, got {hours}")

    @classmethod
    def empty(cls) -> InstitutionRecord:
        """An institution nobody has referred to yet (scored neutrally)."""
        return cls(answered=0, accepted=0, declined=0, finished=0, completed=0,
                   median_hours_to_answer=None)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A service of the directory that offers the needed taxonomy term.

    Empty ``languages`` or ``target_groups`` mean no restriction; ``seats_available`` None means
    capacity is not tracked, which counts as open.
    """

    service_id: str
    service_name: str
    organization_id: str
    organization_name: str
    municipality_codes: tuple[str, ...]
    distance_km: float | None
    online: bool
    languages: tuple[str, ...]
    target_groups: tuple[str, ...]
    minimum_age: int | None
    maximum_age: int | None
    minimum_education: str
    seats_total: int | None
    seats_available: int | None
    waiting_list_open: bool
    waiting_list_length: int
    next_intake_date: date | None
    record: InstitutionRecord

    def __post_init__(self) -> None:
        # Checked here, once, so that a bad directory row fails loudly where it is built instead
        # of silently skewing every ranking it takes part in.
        where = f"Candidate {self.service_id}"
        _check_education(where, self.minimum_education)
        _ints_not_negative(where, minimum_age=self.minimum_age, maximum_age=self.maximum_age,
                           seats_total=self.seats_total, seats_available=self.seats_available,
                           waiting_list_length=self.waiting_list_length)
        if self.distance_km is not None and not (
                math.isfinite(self.distance_km) and self.distance_km >= 0):
            raise ValueError(f"{where}: distance_km must be a non-negative number or None, "
                             f"got {self.distance_km}")


@dataclass(frozen=True, slots=True)
class ClientFacts:
    """The few facts about a client that routing needs; education '' means not recorded."""

    age: int
    education_level: str
    target_groups: frozenset[str]
    municipality_code: str
    languages: tuple[str, ...]

    def __post_init__(self) -> None:
        _check_education("ClientFacts", self.education_level)
        _ints_not_negative("ClientFacts", age=self.age)


def client_target_groups(category: str, sex: str, age: int, employment_status: str,
                         extra: Iterable[str] = ()) -> frozenset[str]:
    """The target groups a client belongs to, from the intake codes.

    ``extra`` carries what intake does not record as such (e.g. long_term_unemployed).
    """
    groups = set(extra)
    if category == "returnee":
        groups.add("returnees")
    elif category == "immigrant":
        groups.add("immigrants")
    if age in YOUTH_AGES:
        groups.add("youth")
    if employment_status == "unemployed":
        groups.add("unemployed")
    if sex == "female":
        groups.add("women")
    return frozenset(groups)


# --- Weights -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Weights:
    """Relative importance of the score components; only their proportions matter."""

    distance: float
    capacity: float
    waiting: float
    record: float

    def __post_init__(self) -> None:
        values = self.as_dict()
        bad = [f"{name}={value!r}" for name, value in values.items()
               if isinstance(value, bool) or not isinstance(value, int | float | Decimal)
               or not math.isfinite(value) or value < 0]
        if bad:
            raise ValueError("weights must be finite non-negative numbers; got " + ", ".join(bad))
        for name, value in values.items():  # settings may hold ints or Decimals
            object.__setattr__(self, name, float(value))
        if not any(values.values()):
            raise ValueError("at least one weight must be positive; all of "
                             + ", ".join(values) + " are zero")

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, object]) -> Weights:
        """Weights from e.g. JSON settings; all four names are required, no others allowed."""
        names = list(_WEIGHT_NAMES)
        unknown = sorted(set(mapping) - set(names))
        missing = [name for name in names if name not in mapping]
        if unknown or missing:
            parts = []
            if missing:
                parts.append("missing " + ", ".join(missing))
            if unknown:
                parts.append("unknown " + ", ".join(unknown))
            raise ValueError(f"weights need exactly {', '.join(names)}: " + "; ".join(parts))
        values: dict[str, Any] = {name: mapping[name] for name in names}
        return cls(**values)

    def as_dict(self) -> dict[str, float]:
        return {"distance": self.distance, "capacity": self.capacity,
                "waiting": self.waiting, "record": self.record}

    def normalised(self) -> Weights:
        """The same proportions, summing to 1, so that a total score stays within [0, 1]."""
        # Scaled by the largest first, so that neither huge nor tiny weights overflow.
        largest = max(self.distance, self.capacity, self.waiting, self.record)
        scaled = [value / largest for value in (self.distance, self.capacity, self.waiting,
                                                self.record)]
        total = sum(scaled)
        return Weights(*(value / total for value in scaled))


_WEIGHT_NAMES = ("distance", "capacity", "waiting", "record")
DEFAULT_WEIGHTS = Weights(distance=0.35, capacity=0.25, waiting=0.2, record=0.2)


# --- Outputs -----------------------------------------------------------------------------------


#: A reason's values by name, JSON-ready (numbers, strings, lists of codes, None); shared by
#: the results that are cached, so never changed after it is made.
Params = Mapping[str, object]
NO_PARAMS: Params = MappingProxyType({})


class RuleResult(NamedTuple):
    """One hard rule for one candidate: a failed rule excludes the service.

    `detail` is the reason in English (the API's words); `code` names the kind of reason and
    `params` its values, so that a page can say the same in its reader's language.
    """

    rule: str
    passed: bool
    detail: str
    code: str
    params: Params

    def explanation(self) -> dict[str, object]:
        return {"rule": self.rule, "passed": self.passed, "detail": self.detail,
                "code": self.code, "params": dict(self.params)}


class ScoreComponent(NamedTuple):
    """One weighted part of a score; contribution = value × normalised weight. `detail`,
    `code` and `params` explain the value as `RuleResult`'s do."""

    name: str
    value: float
    weight: float
    contribution: float
    detail: str
    code: str
    params: Params

    def explanation(self) -> dict[str, object]:
        return {"name": self.name, "value": round(self.value, 4), "weight": round(self.weight, 4),
                "contribution": round(self.contribution, 4), "detail": self.detail,
                "code": self.code, "params": dict(self.params)}


def _service_explanation(candidate: Candidate) -> dict[str, object]:
    return {"service_id": candidate.service_id, "service_name": candidate.service_name,
            "organization_id": candidate.organization_id,
            "organization_name": candidate.organization_name}


class Suggestion(NamedTuple):
    """An eligible service at its place in the ranking, with every reason for that place."""

    rank: int
    candidate: Candidate
    score: float
    rules: list[RuleResult]
    components: list[ScoreComponent]

    def explanation(self) -> dict[str, object]:
        """JSON-ready: what a case worker (or the client) sees as the why of the suggestion."""
        return {"rank": self.rank, **_service_explanation(self.candidate), "eligible": True,
                "score": self.score, "rules": [rule.explanation() for rule in self.rules],
                "components": [part.explanation() for part in self.components]}


class Exclusion(NamedTuple):
    """A service that failed at least one hard rule; ``failed`` names those rules."""

    candidate: Candidate
    rules: list[RuleResult]
    failed: list[str]

    def explanation(self) -> dict[str, object]:
        return {**_service_explanation(self.candidate), "eligible": False, "score": None,
                "failed": list(self.failed), "rules": [rule.explanation() for rule in self.rules],
                "components": []}


@dataclass(frozen=True, slots=True)
class Ranking:
    """Eligible services best first, and the excluded ones (by name) with their reasons."""

    suggestions: list[Suggestion]
    excluded: list[Exclusion]

    def explanation(self) -> dict[str, object]:
        return {"suggestions": [s.explanation() for s in self.suggestions],
                "excluded": [e.explanation() for e in self.excluded]}


# --- Rules -------------------------------------------------------------------------------------


def _listed(codes: Iterable[str], labels: Mapping[str, str] | None = None) -> str:
    items = [labels.get(code, code) if labels else code for code in codes]
    return ", ".join(items) if items else "none"


def _education_label(code: str) -> str:
    return f"{ISCED_LEVELS[code]} (ISCED {code.removeprefix('isced')})"


def _target_group_rule(groups: tuple[str, ...], client: frozenset[str]) -> RuleResult:
    if not groups:
        return RuleResult(RULE_TARGET_GROUP, True, "service is open to every group",
                          "target_group.open", NO_PARAMS)
    served = _listed(groups, TARGET_GROUPS)
    matching = [group for group in groups if group in client]
    if matching:
        return RuleResult(RULE_TARGET_GROUP, True,
                          f"client is {_listed(matching, TARGET_GROUPS)}; service serves {served}",
                          "target_group.match",
                          {"client_groups": matching, "served": list(groups)})
    return RuleResult(RULE_TARGET_GROUP, False,
                      f"service serves only {served}; client is "
                      f"{_listed(sorted(client), TARGET_GROUPS) if client else 'in none of these'}",
                      "target_group.no_match",
                      {"client_groups": sorted(client), "served": list(groups)})


def _age_rule(age: int, minimum: int | None, maximum: int | None) -> RuleResult:
    if minimum is None and maximum is None:
        return RuleResult(RULE_AGE, True, f"client is {age}; service has no age limit",
                          "age.no_limit", {"age": age})
    if minimum is not None and maximum is not None:
        takes, code = f"{minimum}–{maximum}", "age.between"
    elif minimum is not None:
        takes, code = f"{minimum} and over", "age.minimum"
    else:
        takes, code = f"up to {maximum}", "age.maximum"
    passed = (minimum is None or age >= minimum) and (maximum is None or age <= maximum)
    return RuleResult(RULE_AGE, passed, f"client is {age}; service takes {takes}", code,
                      {"age": age, "minimum": minimum, "maximum": maximum})


def _education_rule(client_level: str, minimum: str) -> RuleResult:
    if not minimum:
        return RuleResult(RULE_EDUCATION, True, "service has no minimum education",
                          "education.none", NO_PARAMS)
    required = f"service requires {_education_label(minimum)} or higher"
    if not client_level:
        return RuleResult(RULE_EDUCATION, False,
                          f"client's education level is not recorded; {required}",
                          "education.not_recorded", {"minimum": minimum})
    passed = _ISCED_RANK[client_level] >= _ISCED_RANK[minimum]
    return RuleResult(RULE_EDUCATION, passed,
                      f"client has {_education_label(client_level)}; {required}",
                      "education.compared", {"client_level": client_level, "minimum": minimum})


def _language_rule(languages: tuple[str, ...], client: tuple[str, ...],
                   client_set: frozenset[str]) -> RuleResult:
    if not languages:
        return RuleResult(RULE_LANGUAGE, True, "service has no language requirement",
                          "language.none", NO_PARAMS)
    shared = [language for language in languages if language.casefold() in client_set]
    offered = _listed(languages)
    if shared:
        return RuleResult(RULE_LANGUAGE, True,
                          f"client speaks {_listed(shared)}; service is offered in {offered}",
                          "language.shared", {"shared": shared, "offered": list(languages)})
    return RuleResult(RULE_LANGUAGE, False,
                      f"service is offered only in {offered}; client speaks {_listed(client)}",
                      "language.not_offered",
                      {"offered": list(languages), "client_languages": list(client)})


def _capacity_rule(total: int | None, available: int | None, waiting_open: bool,
                   waiting: int) -> RuleResult:
    if available is None:
        return RuleResult(RULE_CAPACITY, True, "capacity not tracked; assumed open",
                          "capacity.untracked", NO_PARAMS)
    if available > 0:
        of = f" of {total}" if total is not None else ""
        return RuleResult(RULE_CAPACITY, True, f"{available}{of} seats free", "capacity.free",
                          {"available": available, "total": total})
    if waiting_open:
        return RuleResult(RULE_CAPACITY, True,
                          f"no free seats, waiting list open ({waiting} waiting)",
                          "capacity.waiting_list", {"waiting": waiting})
    return RuleResult(RULE_CAPACITY, False, "no free seats and the waiting list is closed",
                      "capacity.closed", NO_PARAMS)


# --- Score components --------------------------------------------------------------------------


def _smoothed(successes: float, trials: float) -> float:
    """A rate pulled toward 0.5 by RECORD_PRIOR pseudo-trials: few referrals prove little."""
    return (successes + NEUTRAL * RECORD_PRIOR) / (trials + RECORD_PRIOR)


def record_score(record: InstitutionRecord) -> float:
    """Mean of smoothed acceptance, completion and answer speed; a new institution scores 0.5."""
    answered = record.answered
    acceptance = _smoothed(min(record.accepted, answered), answered)
    completion = _smoothed(min(record.completed, record.finished), record.finished)
    hours = record.median_hours_to_answer
    if hours is None or answered == 0:
        speed = NEUTRAL
    else:
        # The median stands for `answered` referrals, so it weighs as much as they do.
        speed = _smoothed(answered * (1.0 - min(hours, ANSWER_HORIZON_HOURS)
                                      / ANSWER_HORIZON_HOURS), answered)
    return (acceptance + completion + speed) / 3.0


def _record_component(record: InstitutionRecord, weight: float) -> ScoreComponent:
    value = record_score(record)
    if record.answered == 0 and record.finished == 0:
        return ScoreComponent("record", value, weight, value * weight,
                              "no referrals answered yet; neutral score", "record.none",
                              NO_PARAMS)
    hours = record.median_hours_to_answer
    speed = f"median answer {hours:.0f} h" if hours is not None else "answer time unknown"
    detail = (f"accepted {record.accepted} of {record.answered} answered, completed "
              f"{record.completed} of {record.finished} finished, {speed} "
              f"(smoothed with {RECORD_PRIOR:.0f} neutral pseudo-referrals)")
    return ScoreComponent("record", value, weight, value * weight, detail, "record.history", {
        "accepted": record.accepted, "answered": record.answered,
        "completed": record.completed, "finished": record.finished,
        "median_hours": None if hours is None else round(hours), "prior": round(RECORD_PRIOR)})


def _capacity_component(total: int | None, available: int | None,
                        weight: float) -> ScoreComponent:
    params: Params = NO_PARAMS
    if available is None:
        value, detail = UNTRACKED_CAPACITY_SCORE, "capacity not tracked; neutral score"
        code = "seats.untracked"
    elif available <= 0:
        value, detail = 0.0, "no free seats; only the waiting list"
        code = "seats.waiting_list_only"
    elif not total:
        value, detail, code = 1.0, f"{available} seats free", "seats.free"
        params = {"available": available}
    else:
        value = min(1.0, available / total)
        detail, code = f"{available} of {total} seats free ({value:.0%})", "seats.free_share"
        params = {"available": available, "total": total, "percent": round(value * 100)}
    return ScoreComponent("capacity", value, weight, value * weight, detail, code, params)


def expected_wait_days(total: int | None, available: int | None, queue: int,
                       intake: date | None, today: date) -> float:
    """Days until the client could start: the next intake, plus the queue's turn when full."""
    until = (intake - today).days if intake is not None else 0
    if available is None or available > 0:
        return 0.0 if until <= SOON_DAYS else float(until)
    return max(0, until) + queue * 7 / max(total or 1, 1)


def _waiting_component(total: int | None, available: int | None, queue: int,
                       intake: date | None, today: date, weight: float) -> ScoreComponent:
    days = expected_wait_days(total, available, queue, intake, today)
    value = 1.0 - min(days, WAIT_HORIZON_DAYS) / WAIT_HORIZON_DAYS
    until: int | None = None
    if intake is None:
        when, intake_kind = "next intake date unknown", "unknown"
    else:
        until = (intake - today).days
        when, intake_kind = ((f"next intake {intake.isoformat()} (in {until} days)", "future")
                             if until > 0
                             else (f"intake open since {intake.isoformat()}", "past")
                             if until < 0 else ("next intake today", "today"))
    params = {"intake": intake_kind, "intake_date": intake.isoformat() if intake else None,
              "in_days": until, "days": round(days), "queue": queue}
    if available is None or available > 0:
        detail, code = f"not full, {when}; expected wait {days:.0f} days", "waiting.free"
    else:
        detail = (f"full with {queue} waiting, {when}; expected wait about {days:.0f} days")
        code = "waiting.full"
    return ScoreComponent("waiting", value, weight, value * weight, detail, code, params)


def _km_detail(whole_km: int, online: bool) -> tuple[str, str, Params]:
    """(detail, code, params) of a distance in whole kilometres."""
    if online:
        return (f"{whole_km} km away, but offered online", "distance.km_online",
                {"km": whole_km})
    return f"{whole_km} km away", "distance.km", {"km": whole_km}


def _distance_component(local: bool, km: float | None, online: bool, municipality: str,
                        weight: float) -> ScoreComponent:
    """The reference version of the distance score; rank() inlines it for speed."""
    if local:
        return ScoreComponent("distance", 1.0, weight, weight,
                              f"has a location in the client's municipality ({municipality})",
                              "distance.local", {"municipality": municipality})
    if km is None:
        if online:
            return ScoreComponent("distance", ONLINE_DISTANCE_FLOOR, weight,
                                  ONLINE_DISTANCE_FLOOR * weight,
                                  "distance unknown; offered online", "distance.unknown_online",
                                  NO_PARAMS)
        return ScoreComponent("distance", UNKNOWN_DISTANCE_SCORE, weight,
                              UNKNOWN_DISTANCE_SCORE * weight, "distance unknown",
                              "distance.unknown", NO_PARAMS)
    value = max(0.0, 1.0 - km / DISTANCE_HORIZON_KM)
    floored = online and value < ONLINE_DISTANCE_FLOOR
    if floored:
        value = ONLINE_DISTANCE_FLOOR
    return ScoreComponent("distance", value, weight, value * weight,
                          *_km_detail(int(km + 0.5), floored))


# --- Ranking -----------------------------------------------------------------------------------


class _Eligibility:
    """The four client-side rules for one call, each outcome computed once per distinct input."""

    def __init__(self, client: ClientFacts) -> None:
        self.client = client
        self.spoken = frozenset(language.casefold() for language in client.languages)
        self.groups: dict[tuple[str, ...], RuleResult] = {}
        self.ages: dict[tuple[int | None, int | None], RuleResult] = {}
        self.education: dict[str, RuleResult] = {}
        self.languages: dict[tuple[str, ...], RuleResult] = {}

    def __call__(self, key: _EligibilityKey) -> _EligibilityEntry:
        groups, minimum_age, maximum_age, education, languages = key
        client = self.client
        group_rule = self.groups.get(groups)
        if group_rule is None:
            group_rule = self.groups[groups] = _target_group_rule(groups, client.target_groups)
        age_rule = self.ages.get((minimum_age, maximum_age))
        if age_rule is None:
            age_rule = self.ages[minimum_age, maximum_age] = _age_rule(
                client.age, minimum_age, maximum_age)
        education_rule = self.education.get(education)
        if education_rule is None:
            education_rule = self.education[education] = _education_rule(
                client.education_level, education)
        language_rule = self.languages.get(languages)
        if language_rule is None:
            language_rule = self.languages[languages] = _language_rule(
                languages, client.languages, self.spoken)
        passed = (group_rule.passed and age_rule.passed and education_rule.passed
                  and language_rule.passed)
        return group_rule, age_rule, education_rule, language_rule, passed


_EligibilityKey = tuple[tuple[str, ...], int | None, int | None, str, tuple[str, ...]]
_EligibilityEntry = tuple[RuleResult, RuleResult, RuleResult, RuleResult, bool]


def rank(candidates: Sequence[Candidate], client: ClientFacts, weights: Weights,
         today: date) -> Ranking:
    """Eligible candidates by score (ties: nearer, then service name, then id) and exclusions.

    Written for speed (thousands of candidates per request): whatever depends only on the
    client, the weights or a few candidate fields with few distinct values is computed once per
    call and shared; only the distance is computed for every candidate.
    """
    normal = weights.normalised()
    w_distance, w_capacity, w_waiting, w_record = (
        normal.distance, normal.capacity, normal.waiting, normal.record)
    municipality = client.municipality_code

    # Per-call caches, keyed by whatever the result depends on besides the client and weights.
    eligibility = _Eligibility(client)
    profiles: dict[_EligibilityKey, _EligibilityEntry] = {}
    untracked_rule = _capacity_rule(None, None, True, 0)
    untracked_part = _capacity_component(None, None, w_capacity)
    full_part = _capacity_component(None, 0, w_capacity)
    free_parts: dict[tuple[int | None, int], tuple[RuleResult, ScoreComponent]] = {}
    full_rules: dict[tuple[bool, int], RuleResult] = {}
    free_waits: dict[date | None, ScoreComponent] = {}
    full_waits: dict[tuple[date | None, int, int | None], ScoreComponent] = {}
    record_parts: dict[int, ScoreComponent] = {}
    km_details: tuple[dict[int, tuple[str, str, Params]],
                      dict[int, tuple[str, str, Params]]] = ({}, {})  # by whole km; [1]: online
    local_part = _distance_component(True, None, False, municipality, w_distance)
    unknown_parts = (_distance_component(False, None, False, municipality, w_distance),
                     _distance_component(False, None, True, municipality, w_distance))
    new = tuple.__new__  # a named tuple's own __new__ is a Python call; this is a C one
    infinity = math.inf
    floor = ONLINE_DISTANCE_FLOOR
    horizon = DISTANCE_HORIZON_KM

    # Sort key, then the payload; the unique position keeps comparisons off the payload.
    keys: list[tuple[float, float, str, str, int, Candidate, list[RuleResult],
                     list[ScoreComponent]]] = []
    excluded: list[Exclusion] = []
    for candidate in candidates:
        key = (candidate.target_groups, candidate.minimum_age, candidate.maximum_age,
               candidate.minimum_education, candidate.languages)
        profile = profiles.get(key)
        if profile is None:
            profile = profiles[key] = eligibility(key)
        group_rule, age_rule, education_rule, language_rule, passed = profile

        # Seat counts are small numbers and intake dates are shared, so these hit the caches
        # even though every service has its own combination of them.
        available = candidate.seats_available
        if available is None:
            capacity_rule, capacity = untracked_rule, untracked_part
            waiting = free_waits.get(candidate.next_intake_date)
        elif available > 0:
            key_free = (candidate.seats_total, available)
            free = free_parts.get(key_free)
            if free is None:
                free = free_parts[key_free] = (
                    _capacity_rule(key_free[0], available, True, 0),
                    _capacity_component(key_free[0], available, w_capacity))
            capacity_rule, capacity = free
            waiting = free_waits.get(candidate.next_intake_date)
        else:
            key_full = (candidate.waiting_list_open, candidate.waiting_list_length)
            full_rule = full_rules.get(key_full)
            if full_rule is None:
                full_rule = full_rules[key_full] = _capacity_rule(
                    candidate.seats_total, available, *key_full)
            capacity_rule, capacity = full_rule, full_part
            key_wait = (candidate.next_intake_date, candidate.waiting_list_length,
                        candidate.seats_total)
            waiting = full_waits.get(key_wait)
            if waiting is None:
                waiting = full_waits[key_wait] = _waiting_component(
                    key_wait[2], available, key_wait[1], key_wait[0], today, w_waiting)
        if waiting is None:  # free seats, first time this intake date is seen
            waiting = free_waits[candidate.next_intake_date] = _waiting_component(
                None, None, 0, candidate.next_intake_date, today, w_waiting)

        rules = [group_rule, age_rule, education_rule, language_rule, capacity_rule]
        if not (passed and capacity_rule.passed):
            excluded.append(Exclusion(candidate, rules,
                                      [rule.rule for rule in rules if not rule.passed]))
            continue

        record = candidate.record
        record_part = record_parts.get(id(record))  # alive all call long, so ids are stable
        if record_part is None:
            record_part = record_parts[id(record)] = _record_component(record, w_record)

        # Inlined _distance_component: distances are nearly all different, so not cached.
        km = candidate.distance_km
        if municipality in candidate.municipality_codes:
            distance = local_part
            tie_km = 0.0 if km is None else km
        elif km is None:
            distance = unknown_parts[candidate.online]
            tie_km = infinity
        else:
            tie_km = km
            value = 1.0 - km / horizon
            if value < 0.0:
                value = 0.0
            online = candidate.online and value < floor
            if online:
                value = floor
            details = km_details[online]
            whole = int(km + 0.5)
            explained = details.get(whole)
            if explained is None:
                explained = details[whole] = _km_detail(whole, online)
            distance = new(ScoreComponent, ("distance", value, w_distance, value * w_distance,
                                            *explained))

        score = (distance.contribution + capacity.contribution + waiting.contribution
                 + record_part.contribution)
        # Four decimals, half up: round(score, 4) would cost more than the rest of this loop
        # and differs only on exact ties. The cap removes float dust from a perfect score.
        score = int(score * 10000.0 + 0.5) / 10000.0
        if score > 1.0:
            score = 1.0
        keys.append((-score, tie_km, candidate.service_name.casefold(), candidate.service_id,
                     len(keys), candidate, rules, [distance, capacity, waiting, record_part]))

    keys.sort()
    suggestions = [new(Suggestion, (place, candidate, -negative, rules, parts))
                   for place, (negative, _, _, _, _, candidate, rules, parts) in enumerate(keys, 1)]
    excluded.sort(key=lambda e: (e.candidate.service_name.casefold(), e.candidate.service_id))
    return Ranking(suggestions, excluded)
