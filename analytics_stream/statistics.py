"""The statistics of a period and scope, read from ClickHouse and shaped for the API and report.

ClickHouse holds pseudonymised visit facts (the latest version of each visit, read with FINAL) and
group sessions; `analytics_stream.figures` turns the visits of the period into the programme's
figures, and `summary` lays them out, withholding small cells where the view crosses tenants or
goes below a tenant (`analytics_stream.disclosure`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from analytics_stream.clickhouse.client import clickhouse_client
from analytics_stream.clickhouse.sql.sessions import GROUP_SESSION_FACTS_TABLE
from analytics_stream.clickhouse.sql.visits import VISIT_FACTS_TABLE
from analytics_stream.disclosure import (
    suppress_breakdown,
    suppress_count,
    suppress_statistic,
)
from analytics_stream.figures import (
    CentreRecord,
    QuarterlyFigures,
    Tally,
    VisitRecord,
    quarterly_figures,
)

# A statistics query may not hold ClickHouse longer than this (the API answers 503, not hang).
QUERY_LIMITS = {"max_execution_time": 20}


@dataclass(frozen=True)
class Scope:
    """Which visits a query covers; `controlled` means small cells are withheld."""

    tenants: tuple[str, ...]
    start: date
    end: date
    centre_id: str | None = None
    controlled: bool = False


_VISITS_SQL = f"""
SELECT tenant_id, centre_id, visit_id, visit_date, services, group_session_id,
       client_pseudonym, client_category, sex, age_years, urban, employment_status,
       previous_stay_countries, previous_stay_purposes, migration_intention,
       preferred_destinations, permit_status
FROM {VISIT_FACTS_TABLE} FINAL
WHERE tenant_id IN %(tenants)s AND visit_date BETWEEN %(start)s AND %(end)s
  AND (%(centre)s = '' OR centre_id = %(centre)s)
"""  # noqa: S608 - the table name is a constant; every value is bound by the driver

_SESSIONS_SQL = f"""
SELECT tenant_id, session_id, topic, centre_id, centre_name
FROM {GROUP_SESSION_FACTS_TABLE} FINAL
WHERE tenant_id IN %(tenants)s
"""  # noqa: S608 - the table name is a constant; every value is bound by the driver


def visit_records(scope: Scope, *, database: str | None = None) -> list[VisitRecord]:
    """The visits of the scope with their clients' coded profiles, sessions named."""
    client = clickhouse_client(database)
    bound = {"tenants": scope.tenants, "start": scope.start, "end": scope.end,
             "centre": scope.centre_id or ""}
    sessions = {(tenant, session): (topic, centre_id, centre_name)
                for tenant, session, topic, centre_id, centre_name
                in client.execute(_SESSIONS_SQL, bound, settings=QUERY_LIMITS)}
    centre_names = {centre_id: name for _, centre_id, name in sessions.values() if name}
    records = []
    for (tenant_id, centre_id, visit_id, visit_date, services, session_id, pseudonym, category,
         sex, age, urban, employment, stay_countries, stay_purposes, intention, preferred,
         permit) in client.execute(_VISITS_SQL, bound, settings=QUERY_LIMITS):
        topic = sessions.get((tenant_id, session_id), (None, None, None))[0]
        records.append(VisitRecord(
            tenant_id=tenant_id, centre_id=centre_id,
            centre_name=centre_names.get(centre_id, centre_id), visit_id=visit_id,
            visit_date=visit_date, services=tuple(services),
            group_session_id=session_id or None, group_session_topic=topic if session_id else None,
            client_pseudonym=pseudonym, category=category, sex=sex, age_years=age,
            urban=bool(urban), employment_status=employment,
            previous_stays=tuple(zip(stay_countries, stay_purposes, strict=True)),
            migration_intention=intention, preferred_destinations=tuple(preferred),
            permit_status=permit))
    return records


def figures_of(scope: Scope, *, database: str | None = None) -> QuarterlyFigures:
    visits = visit_records(scope, database=database)
    centres = {(v.tenant_id, v.centre_id): v.centre_name for v in visits}
    return quarterly_figures(visits, centres=[
        CentreRecord(tenant_id=t, centre_id=c, name=name) for (t, c), name in centres.items()])


def _breakdown(tally: Tally, *, controlled: bool, adds_up: bool) -> dict[str, int | None]:
    """Counts per code, most first; withheld where needed (with the complement when they add up
    to the tally's shown whole)."""
    counts = dict(tally.counts)
    if not controlled:
        return dict(counts)
    return suppress_breakdown(counts, total=tally.whole if adds_up else None)


def _ranked(tally: Tally, n: int) -> list[str]:
    """The first `n` codes by count, ties by code.

    Rankings are made before any cell is withheld: they say which is larger, never by how much,
    and a ranking of whole tenants or destination countries singles out no one.
    """
    return list(tally.top(n))


def summary(scope: Scope, figures: QuarterlyFigures) -> dict[str, Any]:
    """The figures as the API, report and dashboard show them."""
    controlled = scope.controlled

    # Visits and services can be many while the people behind them are few: when the clients
    # of the view are too few to show, so is everything counted in visits.
    few_people = controlled and suppress_count(figures.clients_total) is None

    def count(value: int) -> int | None:
        return suppress_count(value) if controlled else value

    def parts(tally: Tally, *, adds_up: bool = True) -> dict[str, int | None]:
        return _breakdown(tally, controlled=controlled, adds_up=adds_up)

    nationals = figures.nationals
    immigrants = figures.immigrants
    by_tenant = parts(figures.clients_by_tenant)
    for tenant in scope.tenants:
        by_tenant.setdefault(tenant, 0)
    immigrants_by_tenant = parts(immigrants.by_tenant)
    for tenant in scope.tenants:
        immigrants_by_tenant.setdefault(tenant, 0)
    preferred = parts(nationals.preferred_destinations, adds_up=False)
    previous = parts(nationals.previous_destinations, adds_up=False)
    return {
        "period": {"from": scope.start.isoformat(), "to": scope.end.isoformat()},
        "tenants": list(scope.tenants),
        "centre_id": scope.centre_id,
        "small_cells_withheld_below": 10 if controlled else None,
        "centres_with_visits": figures.centres_in_region,
        "clients": count(figures.clients_total),
        "visits": None if few_people else count(figures.visits_total),
        "clients_by_tenant": by_tenant,
        "visitors_ranking": _ranked(figures.clients_by_tenant, len(scope.tenants)),
        "immigrant_clients": count(figures.immigrant_clients.part),
        "national_clients": count(figures.national_clients),
        "services": dict.fromkeys(dict(figures.services.counts)) if few_people
        else parts(figures.services),
        "nationals": {
            "clients": count(nationals.clients),
            "male": count(nationals.male.part),
            "mean_age_years": suppress_statistic(nationals.mean_age_years, nationals.clients)
            if controlled else nationals.mean_age_years,
            "median_age_years": suppress_statistic(nationals.median_age_years, nationals.clients)
            if controlled else nationals.median_age_years,
            "age_bands": parts(nationals.age_bands),
            "urban": count(nationals.urban.part),
            "unemployed": count(nationals.unemployed.part),
            "with_previous_migration": count(nationals.previous_migration.part),
            "previous_migration_purposes": parts(nationals.previous_purposes, adds_up=False),
            "previous_destinations": previous,
            "previous_destinations_top3": _ranked(nationals.previous_destinations, 3),
            "migration_intentions": parts(nationals.migration_intentions),
            "preferred_destinations": preferred,
            "preferred_destinations_top5": _ranked(nationals.preferred_destinations, 5),
        },
        "immigrants": {
            "clients": count(immigrants.count),
            "by_tenant": immigrants_by_tenant,
            "tenants_with_most_top3": _ranked(immigrants.by_tenant, 3),
            "tenants_with_none": sorted(t for t, n in immigrants_by_tenant.items() if n == 0),
            "permit_status": parts(immigrants.permit_status),
            "employment_status": parts(immigrants.employment_status),
        },
        # A topic's sessions are shown only when they reached enough people to be shown at all.
        "group_sessions": [
            {"topic": s.topic, "sessions": s.sessions, "centres": list(s.centres),
             "attendees": s.attendees}
            for s in figures.group_sessions if not controlled or count(s.attendees) is not None
        ],
    }
