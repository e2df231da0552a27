"""`msc reconcile`: every figure per tenant and day, PostgreSQL (the truth) against ClickHouse.

Visits are compared by the day of the visit, referrals by the day they were sent (drafts never
count), each counted by their current state. PostgreSQL is read tenant by tenant through
row-level security, as the application role; ClickHouse through FINAL, so unmerged duplicates
would show as differences. Exit status 0 when every figure matches, 1 when any differs (each
difference named), so scripts and tests can rely on it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db import connection

from analytics_stream.clickhouse.client import clickhouse_client
from analytics_stream.clickhouse.sql.referrals import REFERRAL_FACTS_TABLE
from analytics_stream.clickhouse.sql.visits import VISIT_FACTS_TABLE
from referrals.workflow import State
from services.tenancy.context import tenant_transaction
from services.tenancy.models import TENANT_CODES

DayFigures = dict[tuple[str, date], tuple[int, ...]]


@dataclass(frozen=True)
class Family:
    """Figures of one kind of fact, per tenant and day, and how each store counts them.

    `postgres_sql` takes (tenant, start, end) and selects (day, *figures); `clickhouse_sql` takes
    %(tenants)s, %(start)s, %(end)s and selects (tenant, day, *figures).
    """

    figures: tuple[str, ...]
    postgres_sql: str
    clickhouse_sql: str


@dataclass(frozen=True)
class Difference:
    tenant_id: str
    day: date
    figure: str
    postgres: int
    clickhouse: int

    def __str__(self) -> str:
        return (f"{self.tenant_id} {self.day.isoformat()} {self.figure}: "
                f"postgres {self.postgres}, clickhouse {self.clickhouse}")


def compare(postgres: DayFigures, clickhouse: DayFigures) -> list[Difference]:
    """Every figure that differs; a day missing on one side counts as zeros there."""
    zeros = (0,) * len(FIGURES)
    differences: list[Difference] = []
    for tenant_id, day in sorted(set(postgres) | set(clickhouse)):
        ours = postgres.get((tenant_id, day), zeros)
        theirs = clickhouse.get((tenant_id, day), zeros)
        differences.extend(
            Difference(tenant_id, day, figure, mine, other)
            for figure, mine, other in zip(FIGURES, ours, theirs, strict=True) if mine != other)
    return differences


VISITS = Family(
    figures=("visits", "clients", "information", "counselling", "referral", "nationals",
             "returnees", "immigrants", "group_session_visits"),
    postgres_sql="""
SELECT (occurred_at AT TIME ZONE 'UTC')::date AS day,
       count(*),
       count(DISTINCT client_id),
       count(*) FILTER (WHERE 'information' = ANY(services)),
       count(*) FILTER (WHERE 'counselling' = ANY(services)),
       count(*) FILTER (WHERE 'referral' = ANY(services)),
       count(*) FILTER (WHERE client_profile->>'category' = 'national'),
       count(*) FILTER (WHERE client_profile->>'category' = 'returnee'),
       count(*) FILTER (WHERE client_profile->>'category' = 'immigrant'),
       count(*) FILTER (WHERE group_session_id IS NOT NULL)
FROM intake_visit
WHERE tenant_id = %s AND (occurred_at AT TIME ZONE 'UTC')::date BETWEEN %s AND %s
GROUP BY day
""",
    # The table name is a constant; every value is bound by the driver.
    clickhouse_sql=f"""
SELECT tenant_id, visit_date,
       count(),
       uniqExact(client_pseudonym),
       countIf(has(services, 'information')),
       countIf(has(services, 'counselling')),
       countIf(has(services, 'referral')),
       countIf(client_category = 'national'),
       countIf(client_category = 'returnee'),
       countIf(client_category = 'immigrant'),
       countIf(group_session_id != '')
FROM {VISIT_FACTS_TABLE} FINAL
WHERE tenant_id IN %(tenants)s AND visit_date BETWEEN %(start)s AND %(end)s
GROUP BY tenant_id, visit_date
""")  # noqa: S608

# Every state a sent referral can be in; a referral counts in exactly one of them.
REFERRAL_STATES = tuple(state.value for state in State if state != State.DRAFT)

# The state names are the workflow's constants; every value is bound by the driver.
REFERRALS = Family(
    figures=("referrals", "referral_clients", "referrals_answered", "referrals_top_suggestion",
             *(f"referrals_state_{state}" for state in REFERRAL_STATES)),
    postgres_sql=f"""
SELECT (sent_at AT TIME ZONE 'UTC')::date AS day,
       count(*),
       count(DISTINCT client_id),
       count(*) FILTER (WHERE answered_at IS NOT NULL),
       count(*) FILTER (WHERE suggestion_rank = 1),
       {", ".join(f"count(*) FILTER (WHERE state = '{state}')" for state in REFERRAL_STATES)}
FROM referrals_referral
WHERE tenant_id = %s AND sent_at IS NOT NULL
  AND (sent_at AT TIME ZONE 'UTC')::date BETWEEN %s AND %s
GROUP BY day
""",  # noqa: S608
    clickhouse_sql=f"""
SELECT tenant_id, sent_date,
       count(),
       uniqExact(client_pseudonym),
       countIf(isNotNull(answered_at)),
       countIf(suggestion_rank = 1),
       {", ".join(f"countIf(state = '{state}')" for state in REFERRAL_STATES)}
FROM {REFERRAL_FACTS_TABLE} FINAL
WHERE tenant_id IN %(tenants)s AND sent_date BETWEEN %(start)s AND %(end)s
GROUP BY tenant_id, sent_date
""")  # noqa: S608

FAMILIES = (VISITS, REFERRALS)
# The figures compared for each tenant and day, in output order.
FIGURES = tuple(figure for family in FAMILIES for figure in family.figures)


def _joined(per_family: list[DayFigures]) -> DayFigures:
    """One row of every family's figures per tenant and day; zeros where a family has none."""
    keys = set().union(*per_family)
    return {key: tuple(value for family, figures in zip(FAMILIES, per_family, strict=True)
                       for value in figures.get(key, (0,) * len(family.figures)))
            for key in keys}


def postgres_figures(tenants: Iterable[str], start: date, end: date) -> DayFigures:
    per_family: list[DayFigures] = []
    for family in FAMILIES:
        figures: DayFigures = {}
        for tenant_id in tenants:
            with tenant_transaction(tenant_id), connection.cursor() as cursor:
                cursor.execute(family.postgres_sql, [tenant_id, start, end])
                for day, *values in cursor.fetchall():
                    figures[(tenant_id, day)] = tuple(int(v) for v in values)
        per_family.append(figures)
    return _joined(per_family)


def clickhouse_figures(tenants: Iterable[str], start: date, end: date,
                       database: str | None = None) -> DayFigures:
    client = clickhouse_client(database)
    bound = {"tenants": tuple(tenants), "start": start, "end": end}
    return _joined([
        {(tenant_id, day): tuple(int(v) for v in values)
         for tenant_id, day, *values in client.execute(family.clickhouse_sql, bound)}
        for family in FAMILIES])


def reconcile(*, tenants: Iterable[str] = sorted(TENANT_CODES), start: date = date(2000, 1, 1),
              end: date = date(2100, 1, 1), database: str | None = None,
              wait_seconds: float = 0.0) -> tuple[int, list[Difference]]:
    """(tenant-days compared, differences); with `wait_seconds`, retry until equal or timeout.

    Waiting is for a pipeline still catching up (after a load or a restart): the answer is the
    last comparison made.
    """
    chosen = sorted(tenants)
    deadline = time.monotonic() + wait_seconds
    while True:
        ours = postgres_figures(chosen, start, end)
        theirs = clickhouse_figures(chosen, start, end, database)
        differences = compare(ours, theirs)
        if not differences or time.monotonic() >= deadline:
            return len(set(ours) | set(theirs)), differences
        time.sleep(1.0)
