"""The statistics of a period and scope, read from ClickHouse and shaped for the API and report.

ClickHouse holds pseudonymised visit facts (the latest version of each visit, read with FINAL),
group sessions and referral facts (the latest state of each referral); `analytics_stream.figures`
turns the visits of the period into the programme's figures, `analytics_stream.referral_figures`
the referrals sent in it into theirs, and `summary` lays them out, withholding small cells where
the view crosses tenants or goes below a tenant (`analytics_stream.disclosure`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date
from typing import Any

from analytics_stream.clickhouse.client import clickhouse_client
from analytics_stream.clickhouse.sql.referrals import REFERRAL_FACTS_TABLE
from analytics_stream.clickhouse.sql.sessions import GROUP_SESSION_FACTS_TABLE
from analytics_stream.clickhouse.sql.visits import VISIT_FACTS_TABLE
from analytics_stream.disclosure import (
    is_small,
    suppress_breakdown,
    suppress_count,
    suppress_statistic,
    withheld_groups,
)
from analytics_stream.figures import (
    CentreRecord,
    QuarterlyFigures,
    Share,
    Tally,
    VisitRecord,
    quarterly_figures,
)
from analytics_stream.referral_figures import (
    COUNTS,
    Completion,
    ReferralCounts,
    ReferralFigures,
    ReferralRecord,
    referral_figures,
)

# A statistics query may not hold ClickHouse longer than this (the API answers 503, not hang).
QUERY_LIMITS = {"max_execution_time": 20}


@dataclass(frozen=True)
class Scope:
    """Which visits and referrals a query covers; `controlled` means small cells are withheld.

    Visits count by the day of the visit, referrals by the day they were sent.
    """

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


_REFERRALS_SQL = f"""
SELECT tenant_id, referral_id, client_pseudonym, organization_id, organization_name, need, state,
       sent_at, answered_at, suggestion_rank
FROM {REFERRAL_FACTS_TABLE} FINAL
WHERE tenant_id IN %(tenants)s AND sent_date BETWEEN %(start)s AND %(end)s
"""  # noqa: S608 - the table name is a constant; every value is bound by the driver


def referral_records(scope: Scope, *, database: str | None = None) -> list[ReferralRecord]:
    """The referrals sent in the scope's period by its tenants, as they stand now."""
    bound = {"tenants": scope.tenants, "start": scope.start, "end": scope.end}
    return [
        ReferralRecord(
            tenant_id=tenant_id, referral_id=referral_id, client_pseudonym=pseudonym,
            organization_id=organization_id, organization_name=organization_name, need=need,
            state=state, sent_at=sent_at.replace(tzinfo=UTC),
            answered_at=None if answered_at is None else answered_at.replace(tzinfo=UTC),
            suggestion_rank=rank or None)
        for (tenant_id, referral_id, pseudonym, organization_id, organization_name, need, state,
             sent_at, answered_at, rank)
        in clickhouse_client(database).execute(_REFERRALS_SQL, bound, settings=QUERY_LIMITS)]


def referral_figures_of(scope: Scope, *, database: str | None = None) -> ReferralFigures:
    return referral_figures(referral_records(scope, database=database), tenants=scope.tenants)


def summary_of(scope: Scope, *, database: str | None = None) -> dict[str, Any]:
    """The summary of `scope` read from ClickHouse: what the API, dashboard and report show.

    Referrals are sent by a tenant, not by a centre: a centre's view has no referral figures.
    """
    referrals = None if scope.centre_id else referral_figures_of(scope, database=database)
    return summary(scope, figures_of(scope, database=database), referrals)


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


REFERRALS_BY_CENTRE = ("not applicable: referrals are sent by a tenant, not recorded per "
                       "centre; ask without centre_id")


def _counter(*, controlled: bool, withheld: bool = False) -> Callable[[int], int | None]:
    """How a count is shown: as it is, small ones withheld (controlled), or not at all."""
    def count(value: int) -> int | None:
        if withheld:
            return None
        return suppress_count(value) if controlled else value

    return count


def _shown_percent(share: Share, count: Callable[[int], int | None],
                   people: int | None = None) -> float | None:
    """A percentage to one decimal, shown only when its part and the rest are both shown counts
    (else it would give a withheld count away) and, given `people`, enough people stand behind
    it."""
    if not share.whole or count(share.part) is None or count(share.whole - share.part) is None:
        return None
    if people is not None and count(people) is None:
        return None
    return round(float(share.percent), 1)


def _referral_row(counts: ReferralCounts, *, controlled: bool,
                  withheld: bool) -> dict[str, Any]:
    """One group's figures: all withheld when the group is, and each small count anyway."""
    count = _counter(controlled=controlled, withheld=withheld)
    median = counts.median_hours_to_answer
    median = None if median is None or withheld else round(median, 1)
    return {
        "clients": count(len(counts.clients)),
        **{name: count(getattr(counts, name)) for name in COUNTS},
        "median_hours_to_answer": suppress_statistic(median, counts.answered_clients)
        if controlled else median,
    }


def _referral_rows(groups: Sequence[ReferralCounts],
                   label: Callable[[ReferralCounts], dict[str, str]],
                   *, controlled: bool) -> list[dict[str, Any]]:
    """A breakdown into groups whose counts add up to the view's totals: a group is withheld by
    the clients it describes, with secondary suppression so none can be subtracted out."""
    withheld = (withheld_groups({g.key: g.clients for g in groups}, adds_up=True)
                if controlled else set())
    return [{**label(g), **_referral_row(g, controlled=controlled, withheld=g.key in withheld)}
            for g in groups]


def _routing(chosen: Completion, other: Completion, *, controlled: bool,
             withheld: bool) -> dict[str, Any]:
    """How often the first suggestion was chosen, and how those referrals ended vs the rest."""
    count = _counter(controlled=controlled, withheld=withheld)
    return {
        "chosen": count(chosen.referrals),
        "other": count(other.referrals),
        "chosen_pct": _shown_percent(Share(chosen.referrals, chosen.referrals + other.referrals),
                                     count),
        "completion_pct_when_chosen": _shown_percent(chosen.completed, count,
                                                     chosen.ended_clients),
        "completion_pct_otherwise": _shown_percent(other.completed, count, other.ended_clients),
    }


def referral_summary(scope: Scope, figures: ReferralFigures | None) -> dict[str, Any] | None:
    """The referral section: figures of the whole view, per tenant, institution and need."""
    if scope.centre_id is not None:
        return {"not_applicable": REFERRALS_BY_CENTRE}
    if figures is None:
        return None
    controlled = scope.controlled
    # When the clients of the whole view are too few to show, so is everything about them.
    few = controlled and is_small(len(figures.total.clients))
    return {
        **_referral_row(figures.total, controlled=controlled, withheld=few),
        "top_suggestion": _routing(figures.top_suggestion, figures.other_choice,
                                   controlled=controlled, withheld=few),
        "by_tenant": _referral_rows(figures.by_tenant, lambda g: {"tenant": g.key},
                                    controlled=controlled),
        "by_institution": _referral_rows(figures.by_institution,
                                         lambda g: {"id": g.key, "name": g.name},
                                         controlled=controlled),
        "by_need": _referral_rows(figures.by_need, lambda g: {"need": g.key},
                                  controlled=controlled),
    }


def summary(scope: Scope, figures: QuarterlyFigures,
            referrals: ReferralFigures | None = None) -> dict[str, Any]:
    """The figures as the API, report and dashboard show them.

    `referrals` None (not read) leaves the referral section None, but for a centre's view,
    which says referrals are not counted per centre.
    """
    controlled = scope.controlled

    # Visits and services can be many while the people behind them are few: when the clients
    # of the view are too few to show, so is everything counted in visits.
    few_people = controlled and suppress_count(figures.clients_total) is None

    count = _counter(controlled=controlled)

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
        "referrals": referral_summary(scope, referrals),
    }
