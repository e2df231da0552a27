"""The quarterly figures the programme publishes, computed from visit records, and their check
against a published report (`/work/shared/reference/msc-statistics-2008q3.json`).

Pure: visit records in, figures out, no database, broker or clock, so the same function serves
the live statistics, the demo data's calibration and the tests.

Interpretations, where the published report leaves room (the report is the authority):
- A client is one pseudonym within one tenant (pseudonyms differ between tenants). Their coded
  profile is the one on their latest visit (by date, then visit id) among the visits given; the
  caller passes the quarter's visits.
- "National clients" are all clients who are not immigrants: categories national and returnee.
  Percentages are of national clients unless the figure names another whole.
- `centres_in_region` counts the active centres given, whether or not they had a visit.
- `visitors_rank_top3` ranks tenants by clients of every category.
- The service mix counts services, over every visit: a visit with two services gives two.
- Previous migration: a national has experience when they recorded at least one stay abroad.
  Purposes and destinations count clients (one per purpose or country, however many stays),
  among those with experience.
- Preferred destinations count each listed preference once, whatever its position.
- Main interest is the most frequent migration intention of nationals, every code included.
- Rankings: most first, ties by code (alphabetical), so a ranking never depends on input order.
- A published percentage matches when the computed one, rounded half up or truncated to the
  published precision, equals it: the 2008 report truncated at least one figure (68 immigrants of
  1,003 clients, 6.78 %, printed as 6.7 %).
- "majority" means more than 50 %; "almost half" means at least 40 % and under 50 %.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from intake import choices
from services.events.pseudonym import age_band_of_age

IMMIGRANT = "immigrant"
NO_PERMIT_RECORDED = "unknown"


@dataclass(frozen=True, slots=True)
class VisitRecord:
    """One visit with the client's coded profile on that day (what `VisitRecorded` carries)."""

    tenant_id: str
    centre_id: str
    centre_name: str
    visit_id: str
    visit_date: date
    services: Sequence[str]
    group_session_id: str | None
    group_session_topic: str | None
    client_pseudonym: str
    category: str
    sex: str
    age_years: int
    urban: bool
    employment_status: str
    previous_stays: Sequence[tuple[str, str]]
    migration_intention: str
    preferred_destinations: Sequence[str]
    permit_status: str = ""


@dataclass(frozen=True, slots=True)
class CentreRecord:
    """A centre of a tenant; inactive centres do not count among the region's centres."""

    tenant_id: str
    centre_id: str
    name: str
    active: bool = True


@dataclass(frozen=True, slots=True)
class Share:
    """`part` of `whole`, kept as counts so that rounding happens once, when it is shown."""

    part: int
    whole: int

    @property
    def percent(self) -> Fraction:
        return Fraction(100 * self.part, self.whole) if self.whole else Fraction(0)


@dataclass(frozen=True, slots=True)
class Tally:
    """Counts per code, most first and ties by code; `whole` is what shares are taken of."""

    counts: tuple[tuple[str, int], ...]
    whole: int

    def top(self, n: int) -> tuple[str, ...]:
        return tuple(code for code, _ in self.counts[:n])

    def count(self, code: str) -> int:
        return dict(self.counts).get(code, 0)

    def share(self, code: str) -> Share:
        return Share(self.count(code), self.whole)

    @property
    def leader(self) -> str | None:
        return self.counts[0][0] if self.counts else None


@dataclass(frozen=True, slots=True)
class NationalFigures:
    """Profile of the national clients (nationals and returnees)."""

    clients: int
    male: Share
    mean_age_years: float | None
    median_age_years: float | None
    age_bands: Tally
    urban: Share
    unemployed: Share
    previous_migration: Share
    previous_purposes: Tally
    previous_destinations: Tally
    migration_intentions: Tally
    preferred_destinations: Tally


@dataclass(frozen=True, slots=True)
class ImmigrantFigures:
    """Immigrant clients: where they were served, their permits and their work."""

    count: int
    by_tenant: Tally
    tenants_with_none: tuple[str, ...]
    permit_status: Tally
    employment_status: Tally


@dataclass(frozen=True, slots=True)
class GroupSessionFigures:
    """Group sessions of one topic: how many, where, and how many distinct clients attended."""

    topic: str
    sessions: int
    centres: tuple[str, ...]
    attendees: int


@dataclass(frozen=True, slots=True)
class QuarterlyFigures:
    """Every figure of the quarterly report, and the counts behind its percentages."""

    tenants: tuple[str, ...]
    first_visit: date | None
    last_visit: date | None
    centres_in_region: int
    clients_total: int
    visits_total: int
    clients_by_tenant: Tally
    immigrant_clients: Share
    national_clients: int
    services: Tally
    nationals: NationalFigures
    immigrants: ImmigrantFigures
    group_sessions: tuple[GroupSessionFigures, ...]


def tally_of(counter: Mapping[str, int], whole: int) -> Tally:
    """The counts as a tally: zeros dropped, most first, ties by code."""
    ranked = sorted(((code, n) for code, n in counter.items() if n), key=lambda c: (-c[1], c[0]))
    return Tally(tuple(ranked), whole)


def _national_figures(nationals: Sequence[VisitRecord]) -> NationalFigures:
    experienced = [p for p in nationals if p.previous_stays]
    ages = [p.age_years for p in nationals]
    return NationalFigures(
        clients=len(nationals),
        male=Share(sum(p.sex == "male" for p in nationals), len(nationals)),
        mean_age_years=statistics.fmean(ages) if ages else None,
        median_age_years=float(statistics.median(ages)) if ages else None,
        age_bands=tally_of(Counter(age_band_of_age(age) for age in ages), len(nationals)),
        urban=Share(sum(p.urban for p in nationals), len(nationals)),
        unemployed=Share(sum(p.employment_status == "unemployed" for p in nationals),
                         len(nationals)),
        previous_migration=Share(len(experienced), len(nationals)),
        previous_purposes=tally_of(
            Counter(purpose for p in experienced for purpose in {s[1] for s in p.previous_stays}),
            len(experienced)),
        previous_destinations=tally_of(
            Counter(country for p in experienced for country in {s[0] for s in p.previous_stays}),
            len(experienced)),
        migration_intentions=tally_of(Counter(p.migration_intention for p in nationals),
                                    len(nationals)),
        preferred_destinations=tally_of(
            Counter(c for p in nationals for c in set(p.preferred_destinations)), len(nationals)),
    )


def _immigrant_figures(immigrants: Sequence[VisitRecord],
                       tenants: Sequence[str]) -> ImmigrantFigures:
    by_tenant = Counter(p.tenant_id for p in immigrants)
    return ImmigrantFigures(
        count=len(immigrants),
        by_tenant=tally_of(by_tenant, len(immigrants)),
        tenants_with_none=tuple(t for t in tenants if not by_tenant[t]),
        permit_status=tally_of(Counter(p.permit_status or NO_PERMIT_RECORDED for p in immigrants),
                             len(immigrants)),
        employment_status=tally_of(Counter(p.employment_status for p in immigrants),
                                 len(immigrants)),
    )


def _group_session_figures(
        attendances: Mapping[tuple[str, str], Sequence[VisitRecord]]
) -> tuple[GroupSessionFigures, ...]:
    by_topic: dict[str, list[Sequence[VisitRecord]]] = defaultdict(list)
    for visits in attendances.values():
        by_topic[visits[0].group_session_topic or ""].append(visits)
    return tuple(
        GroupSessionFigures(
            topic=topic,
            sessions=len(sessions),
            centres=tuple(sorted({v.centre_name for visits in sessions for v in visits})),
            attendees=len({(v.tenant_id, v.client_pseudonym)
                           for visits in sessions for v in visits}),
        )
        for topic, sessions in sorted(by_topic.items()))


def quarterly_figures(visits: Iterable[VisitRecord], *,
                      centres: Iterable[CentreRecord]) -> QuarterlyFigures:
    """The report's figures from the visits of one period (read once, so a stream will do)."""
    centres = list(centres)
    visits_total = 0
    services: Counter[str] = Counter()
    latest: dict[tuple[str, str], VisitRecord] = {}
    attendances: dict[tuple[str, str], list[VisitRecord]] = defaultdict(list)
    first: date | None = None
    last: date | None = None
    for visit in visits:
        visits_total += 1
        services.update(set(visit.services))
        client = (visit.tenant_id, visit.client_pseudonym)
        seen = latest.get(client)
        if seen is None or (visit.visit_date, visit.visit_id) > (seen.visit_date, seen.visit_id):
            latest[client] = visit
        if visit.group_session_id is not None:
            attendances[(visit.tenant_id, visit.group_session_id)].append(visit)
        first = visit.visit_date if first is None else min(first, visit.visit_date)
        last = visit.visit_date if last is None else max(last, visit.visit_date)

    profiles = list(latest.values())
    tenants = tuple(sorted({c.tenant_id for c in centres} | {p.tenant_id for p in profiles}))
    immigrants = [p for p in profiles if p.category == IMMIGRANT]
    nationals = [p for p in profiles if p.category != IMMIGRANT]
    return QuarterlyFigures(
        tenants=tenants,
        first_visit=first,
        last_visit=last,
        centres_in_region=sum(c.active for c in centres),
        clients_total=len(profiles),
        visits_total=visits_total,
        clients_by_tenant=tally_of(Counter(p.tenant_id for p in profiles), len(profiles)),
        immigrant_clients=Share(len(immigrants), len(profiles)),
        national_clients=len(nationals),
        services=tally_of(services, sum(services.values())),
        nationals=_national_figures(nationals),
        immigrants=_immigrant_figures(immigrants, tenants),
        group_sessions=_group_session_figures(attendances),
    )


def load_reference(path: str | Path) -> dict[str, Any]:
    """A published report as a dict (the JSON file as is)."""
    with open(path, encoding="utf-8") as file:
        reference: dict[str, Any] = json.load(file)
    return reference


# --- Comparison with a published report ------------------------------------------------------

QUALIFIERS: dict[str, Callable[[Fraction], bool]] = {
    "majority": lambda pct: pct > 50,
    "almost half": lambda pct: 40 <= pct < 50,
}

Check = Callable[[Any], str | None]


def percent_matches(share: Share, published: float | int) -> bool:
    """True when the share, rounded half up or truncated to the published precision, is it."""
    wanted = Decimal(str(published))
    quantum = Decimal(1).scaleb(min(0, int(wanted.as_tuple().exponent)))
    exact = Decimal(share.percent.numerator) / Decimal(share.percent.denominator)
    return wanted in {exact.quantize(quantum, rounding=ROUND_HALF_UP),
                      exact.quantize(quantum, rounding=ROUND_DOWN)}


def _show(share: Share) -> str:
    return f"{float(share.percent):.2f} % ({share.part} of {share.whole})"


def _exact(computed: object) -> Check:
    return lambda published: None if computed == published else f"{computed}"


def _percent(share: Share) -> Check:
    return lambda published: None if percent_matches(share, published) else _show(share)


def _qualifier(share: Share) -> Check:
    def check(published: str) -> str | None:
        test = QUALIFIERS.get(published)
        if test is None:
            return f"unknown qualifier {published!r} (known: {', '.join(QUALIFIERS)})"
        return None if test(share.percent) else _show(share)
    return check


def _ranking(tally: Tally) -> Check:
    def check(published: Sequence[str]) -> str | None:
        computed = list(tally.top(len(published)))
        return None if computed == list(published) else f"{computed} ({list(tally.counts)})"
    return check


def _same_set(computed: Iterable[str]) -> Check:
    values = sorted(computed)
    return lambda published: None if values == sorted(published) else f"{values}"


def _leader(tally: Tally, labels: Mapping[str, str], *, majority: bool) -> Check:
    """The most frequent code, named by its label; with `majority`, also more than half."""
    def check(published: str) -> str | None:
        leader = tally.leader
        label = labels.get(leader or "", leader or "nobody").lower()
        share = tally.share(leader or "")
        if label == published.lower() and (not majority or share.percent > 50):
            return None
        return f"{label}: {_show(share)}"
    return check


def _within(value: float | None) -> Check:
    def check(published: Sequence[float]) -> str | None:
        low, high = published
        return None if value is not None and low <= value <= high else f"{value}"
    return check


def _period(figures: QuarterlyFigures, *, start: bool) -> Check:
    def check(published: str) -> str | None:
        bound = date.fromisoformat(published)
        seen = figures.first_visit if start else figures.last_visit
        if seen is None or (seen >= bound if start else seen <= bound):
            return None
        return f"a visit on {seen}"
    return check


def _sessions(figures: QuarterlyFigures, topic: str) -> GroupSessionFigures:
    found = [s for s in figures.group_sessions if s.topic == topic]
    return found[0] if found else GroupSessionFigures(topic, 0, (), 0)


def _checks(figures: QuarterlyFigures, reference: Mapping[str, Any]) -> dict[str, Check]:
    """What each published figure is compared with, by its path in the report."""
    nat, imm = figures.nationals, figures.immigrants
    example = reference.get("group_sessions_example", {})
    sessions = _sessions(figures, str(example.get("topic", "")))
    intentions = {c.value: c.label for c in choices.MigrationIntention}
    permits = {c.value: c.label for c in choices.PermitStatus}
    employment = {c.value: c.label for c in choices.EmploymentStatus}
    checks: dict[str, Check] = {
        "period.start": _period(figures, start=True),
        "period.end": _period(figures, start=False),
        "tenants": _same_set(figures.tenants),
        "centres_in_region": _exact(figures.centres_in_region),
        "clients_total": _exact(figures.clients_total),
        "visits_total": _exact(figures.visits_total),
        "immigrant_clients": _exact(figures.immigrant_clients.part),
        "immigrant_share_of_clients_pct": _percent(figures.immigrant_clients),
        "national_clients": _exact(figures.national_clients),
        "visitors_rank_top3": _ranking(figures.clients_by_tenant),
        "nationals.male_pct": _percent(nat.male),
        "nationals.mean_age_years_range": _within(nat.mean_age_years),
        "nationals.urban": _qualifier(nat.urban),
        "nationals.unemployed_pct": _percent(nat.unemployed),
        "nationals.previous_migration_experience": _qualifier(nat.previous_migration),
        "nationals.previous_migration_main_purposes": _ranking(nat.previous_purposes),
        "nationals.previous_destinations_top3": _ranking(nat.previous_destinations),
        "nationals.main_interest": _leader(nat.migration_intentions, intentions,
                                           majority=False),
        "nationals.preferred_destinations_top5": _ranking(nat.preferred_destinations),
        "immigrants.count": _exact(imm.count),
        "immigrants.tenants_with_most_top3": _ranking(imm.by_tenant),
        "immigrants.tenants_with_none": _same_set(imm.tenants_with_none),
        "immigrants.majority_status": _leader(imm.permit_status, permits, majority=True),
        "immigrants.majority_employment": _leader(imm.employment_status, employment,
                                                  majority=True),
        "group_sessions_example.topic": _exact(sessions.topic if sessions.sessions else None),
        "group_sessions_example.sessions": _exact(sessions.sessions),
        "group_sessions_example.centres": _same_set(sessions.centres),
        "group_sessions_example.clients_benefited_min": (
            lambda least: None if sessions.attendees >= least else f"{sessions.attendees}"),
    }
    for service in reference.get("service_mix_pct", {}):
        checks[f"service_mix_pct.{service}"] = _percent(figures.services.share(service))
    return checks


def _published(reference: Mapping[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    """Every published figure as (path, value); lists are single figures, `_` keys are notes."""
    for key, value in reference.items():
        if key.startswith("_"):
            continue
        if isinstance(value, Mapping):
            yield from _published(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def compare_with_reference(figures: QuarterlyFigures, reference: Mapping[str, Any]) -> list[str]:
    """One line per published figure the computed ones do not reproduce; [] when all match.

    A figure the report publishes but this module has no rule for is reported too, so a newer
    report cannot pass unchecked.
    """
    checks = _checks(figures, reference)
    problems: list[str] = []
    for path, published in _published(reference):
        check = checks.get(path)
        if check is None:
            problems.append(f"{path}: published {published!r}, but no rule computes it")
            continue
        computed = check(published)
        if computed is not None:
            problems.append(f"{path}: published {published!r}, computed {computed}")
    return problems
