"""The programme's figures from counts made inside ClickHouse, equal to `figures.quarterly_figures`.

Reading every visit of a period into Python does not scale (a quarter of the whole region holds
hundreds of thousands of visits at ten million): ClickHouse reduces the visits to one coded
profile per client and counts them instead (`analytics_stream.statistics`), and this module turns
those counts into the same `QuarterlyFigures`, by the same rules. Pure: rows in, figures out.

A tally row is (tenant, immigrant or not, dimension, code, count) over the clients of the period,
each described by the profile of their latest visit; `clients` and `visits` have an empty code.
Array-valued attributes (previous stays, preferred destinations, services of a visit) count each
distinct value once per client (per visit for services), as the pure rules do. Group sessions
come as `session` rows whose code is topic, session id and centre id joined by NUL, counting the
clients who attended, and `topic` rows counting each topic's distinct attendees.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from analytics_stream.figures import (
    NO_PERMIT_RECORDED,
    GroupSessionFigures,
    ImmigrantFigures,
    NationalFigures,
    QuarterlyFigures,
    Share,
    tally_of,
)
from services.events.pseudonym import age_band_of_age

SESSION_SEPARATOR = "\0"


class Dimension(StrEnum):
    """What a tally row counts; the values are the codes the ClickHouse query emits."""

    CLIENTS = "clients"
    VISITS = "visits"
    SEX = "sex"
    AGE = "age"
    URBAN = "urban"
    EMPLOYMENT = "employment"
    EXPERIENCED = "experienced"
    INTENTION = "intention"
    PERMIT = "permit"
    SERVICE = "service"
    PREVIOUS_COUNTRY = "previous_country"
    PREVIOUS_PURPOSE = "previous_purpose"
    PREFERRED = "preferred"
    CENTRE = "centre"
    SESSION = "session"
    TOPIC = "topic"


@dataclass(frozen=True, slots=True)
class TallyRow:
    """How many clients (or visits, or services) of one tenant and class have `code`."""

    tenant_id: str
    immigrant: bool
    dimension: str
    code: str
    value: int
    first_day: date
    last_day: date


class _Counts:
    """The tally rows of one class of clients (nationals or immigrants), by dimension and code."""

    def __init__(self) -> None:
        self.by: dict[str, Counter[str]] = defaultdict(Counter)
        self.per_tenant: dict[str, Counter[str]] = defaultdict(Counter)

    def add(self, row: TallyRow) -> None:
        self.by[row.dimension][row.code] += row.value
        self.per_tenant[row.dimension][row.tenant_id] += row.value

    def total(self, dimension: Dimension) -> int:
        return sum(self.by[dimension].values())

    def count(self, dimension: Dimension, code: str) -> int:
        return self.by[dimension][code]


def _median(histogram: Mapping[int, int], n: int) -> float:
    """`statistics.median` of the ages the histogram counts: the middle one, or the mean of the
    two middle ones."""
    ordered = sorted(histogram.items())

    def nth(index: int) -> int:
        seen = 0
        for age, count in ordered:
            seen += count
            if index < seen:
                return age
        raise IndexError(index)

    if n % 2:
        return float(nth(n // 2))
    return (nth(n // 2 - 1) + nth(n // 2)) / 2


def _nationals(counts: _Counts) -> NationalFigures:
    n = counts.total(Dimension.CLIENTS)
    ages = {int(age): count for age, count in counts.by[Dimension.AGE].items()}
    experienced = counts.count(Dimension.EXPERIENCED, "1")
    bands: Counter[str] = Counter()
    for age, count in ages.items():
        bands[age_band_of_age(age)] += count
    return NationalFigures(
        clients=n,
        male=Share(counts.count(Dimension.SEX, "male"), n),
        # statistics.fmean is fsum(ages) / n; the sum of integer ages is exact either way.
        mean_age_years=math.fsum(age * count for age, count in ages.items()) / n if n else None,
        median_age_years=_median(ages, n) if n else None,
        age_bands=tally_of(bands, n),
        urban=Share(counts.count(Dimension.URBAN, "1"), n),
        unemployed=Share(counts.count(Dimension.EMPLOYMENT, "unemployed"), n),
        previous_migration=Share(experienced, n),
        previous_purposes=tally_of(counts.by[Dimension.PREVIOUS_PURPOSE], experienced),
        previous_destinations=tally_of(counts.by[Dimension.PREVIOUS_COUNTRY], experienced),
        migration_intentions=tally_of(counts.by[Dimension.INTENTION], n),
        preferred_destinations=tally_of(counts.by[Dimension.PREFERRED], n),
    )


def _immigrants(counts: _Counts, tenants: tuple[str, ...]) -> ImmigrantFigures:
    n = counts.total(Dimension.CLIENTS)
    by_tenant = counts.per_tenant[Dimension.CLIENTS]
    permits: Counter[str] = Counter()
    for code, count in counts.by[Dimension.PERMIT].items():
        permits[code or NO_PERMIT_RECORDED] += count
    return ImmigrantFigures(
        count=n,
        by_tenant=tally_of(by_tenant, n),
        tenants_with_none=tuple(t for t in tenants if not by_tenant[t]),
        permit_status=tally_of(permits, n),
        employment_status=tally_of(counts.by[Dimension.EMPLOYMENT], n),
    )


def _group_sessions(rows: Iterable[TallyRow],
                    centre_names: Mapping[str, str]) -> tuple[GroupSessionFigures, ...]:
    sessions: dict[str, set[tuple[str, str]]] = defaultdict(set)
    centres: dict[str, set[str]] = defaultdict(set)
    attendees: Counter[str] = Counter()
    for row in rows:
        if row.dimension == Dimension.SESSION:
            topic, session, centre = row.code.split(SESSION_SEPARATOR)
            sessions[topic].add((row.tenant_id, session))
            centres[topic].add(centre_names.get(centre, centre))
        elif row.dimension == Dimension.TOPIC:
            attendees[row.code] += row.value
    return tuple(GroupSessionFigures(topic=topic, sessions=len(sessions[topic]),
                                     centres=tuple(sorted(centres[topic])),
                                     attendees=attendees[topic])
                 for topic in sorted(sessions))


def figures_from_tallies(rows: Iterable[TallyRow], *,
                         centre_names: Mapping[str, str]) -> QuarterlyFigures:
    """The figures of the period the rows count; centres are the ones with a visit in it."""
    rows = list(rows)
    classes = {False: _Counts(), True: _Counts()}
    for row in rows:
        classes[row.immigrant].add(row)
    nationals, immigrants = classes[False], classes[True]
    clients = [row for row in rows if row.dimension == Dimension.CLIENTS]
    by_tenant: Counter[str] = Counter()
    for row in clients:
        by_tenant[row.tenant_id] += row.value
    visited_centres = {(row.tenant_id, row.code) for row in rows
                       if row.dimension == Dimension.CENTRE}
    tenants = tuple(sorted(by_tenant.keys() | {tenant for tenant, _ in visited_centres}))
    services = nationals.by[Dimension.SERVICE] + immigrants.by[Dimension.SERVICE]
    clients_total = sum(by_tenant.values())
    return QuarterlyFigures(
        tenants=tenants,
        first_visit=min((row.first_day for row in clients), default=None),
        last_visit=max((row.last_day for row in clients), default=None),
        centres_in_region=len(visited_centres),
        clients_total=clients_total,
        visits_total=nationals.total(Dimension.VISITS) + immigrants.total(Dimension.VISITS),
        clients_by_tenant=tally_of(by_tenant, clients_total),
        immigrant_clients=Share(immigrants.total(Dimension.CLIENTS), clients_total),
        national_clients=nationals.total(Dimension.CLIENTS),
        services=tally_of(services, sum(services.values())),
        nationals=_nationals(nationals),
        immigrants=_immigrants(immigrants, tenants),
        group_sessions=_group_sessions(rows, centre_names),
    )
