"""The statistics' ClickHouse query against the pure figures, on random visits with corrections.

Rows go straight into a migrated ClickHouse database the way the stream worker writes them (a row
per version, some twice, unmerged), so the query must pick each visit's latest version itself,
including visits corrected into or out of the period and to another centre. Then a summary is
served from the cache while the data stays as it is, and recomputed as soon as a row arrives;
a caller that accepts stale figures gets the cached ones while they are recounted.
"""

from __future__ import annotations

import calendar
import contextlib
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from clickhouse_driver.errors import Error as ClickHouseError
from django.core.cache import cache

from analytics_stream import statistics
from analytics_stream.clickhouse.client import clickhouse_client
from analytics_stream.clickhouse.sql import insert_sql
from analytics_stream.clickhouse.sql.sessions import (
    GROUP_SESSION_FACT_COLUMNS,
    GROUP_SESSION_FACTS_TABLE,
)
from analytics_stream.clickhouse.sql.visits import VISIT_FACT_COLUMNS, insert_visit_facts_sql
from analytics_stream.figures import CentreRecord, quarterly_figures
from analytics_stream.statistics import (
    CountInProgress,
    Scope,
    current_summary,
    figures_of,
    summary_of,
)
from services.events.pseudonym import age_band_of_age
from tests.analytics_stream.visit_mix import (
    CENTRE_NAMES,
    TENANTS,
    Session,
    VisitVersion,
    latest_in_period,
    visit_mix,
)
from tests.waiting import data_version_watch_caught_up

pytestmark = pytest.mark.integration


def _visit_row(row: VisitVersion, n: int) -> tuple[Any, ...]:
    v = row.visit
    values: dict[str, Any] = {
        "tenant_id": v.tenant_id, "visit_id": v.visit_id, "version": row.version,
        "event_id": f"e{n}", "recorded_date": row.recorded_date, "visit_date": v.visit_date,
        "occurred_at": datetime(v.visit_date.year, v.visit_date.month, v.visit_date.day, 10,
                                tzinfo=UTC).replace(tzinfo=None),
        "centre_id": v.centre_id, "channel": "in_person", "services": list(v.services),
        "topics": [], "destinations_discussed": [], "group_session_id": v.group_session_id or "",
        "client_pseudonym": v.client_pseudonym, "client_category": v.category, "sex": v.sex,
        "age_years": v.age_years, "age_band": age_band_of_age(v.age_years),
        "citizenship": v.tenant_id, "municipality_code": "m", "urban": int(v.urban),
        "education_level": "isced3", "employment_status": v.employment_status,
        "occupation_isco": "4", "previous_stay_countries": [c for c, _ in v.previous_stays],
        "previous_stay_purposes": [p for _, p in v.previous_stays],
        "migration_intention": v.migration_intention,
        "preferred_destinations": list(v.preferred_destinations),
        "permit_status": v.permit_status}
    return tuple(values[name] for name, _ in VISIT_FACT_COLUMNS)


def _session_row(session: Session, version: int) -> tuple[Any, ...]:
    values: dict[str, Any] = {
        "tenant_id": session.tenant_id, "session_id": session.session_id, "version": version,
        "event_id": f"{session.session_id}-{version}", "held_date": date(2026, 1, 15),
        "held_at": datetime(2026, 1, 15, 10, tzinfo=UTC).replace(tzinfo=None),
        "centre_id": session.centre_id,
        "centre_name": CENTRE_NAMES.get(session.centre_id, ""),
        # An older version with another topic must lose to the latest.
        "topic": session.topic if version > 1 else "draft topic",
        "partner_institution": "", "attendees": 3}
    return tuple(values[name] for name, _ in GROUP_SESSION_FACT_COLUMNS)


def _load(database: str, seed: int) -> tuple[list[VisitVersion], list[Session]]:
    rows, sessions = visit_mix(seed, visits=600)
    client = clickhouse_client(database)
    # Several inserts make several parts, as a stream worker's batches do.
    for start in range(0, len(rows), 150):
        batch = rows[start:start + 150]
        client.execute(insert_visit_facts_sql(database),
                       [_visit_row(row, start + n) for n, row in enumerate(batch)])
    client.execute(insert_sql(database, GROUP_SESSION_FACTS_TABLE, GROUP_SESSION_FACT_COLUMNS),
                   [_session_row(s, version) for s in sessions for version in (1, 2)])
    return rows, sessions


SCOPES = [
    Scope(TENANTS, date(2026, 1, 1), date(2026, 3, 31)),
    Scope(TENANTS, date(2026, 2, 10), date(2026, 2, 20)),
    Scope(("MK",), date(2025, 11, 1), date(2026, 6, 30)),
    Scope(("AL", "RS"), date(2026, 1, 1), date(2026, 1, 31), centre_id="al-c1"),
    Scope(TENANTS, date(2030, 1, 1), date(2030, 3, 31)),
]


@pytest.mark.parametrize("seed", [1, 2])
def test_figures_from_clickhouse_equal_the_pure_figures(clickhouse_database: str,
                                                        seed: int) -> None:
    rows, sessions = _load(clickhouse_database, seed)
    corrected = {r.visit.visit_id for r in rows if r.version > 1}
    assert corrected, "the mix must hold corrections"

    for scope in SCOPES:
        visits = latest_in_period(rows, sessions, scope.start, scope.end, tenants=scope.tenants,
                                  centre_id=scope.centre_id)
        centres = {(v.tenant_id, v.centre_id): v.centre_name for v in visits}
        expected = quarterly_figures(visits, centres=[CentreRecord(t, c, name)
                                                      for (t, c), name in centres.items()])

        assert figures_of(scope, database=clickhouse_database) == expected, scope


def test_a_summary_is_cached_until_a_row_arrives(clickhouse_database: str) -> None:
    rows, _ = _load(clickhouse_database, 3)
    scope = Scope(TENANTS, date(2026, 1, 1), date(2026, 3, 31))
    first = summary_of(scope, database=clickhouse_database)
    assert summary_of(scope, database=clickhouse_database) == first

    late = next(r for r in rows if r.version == 1 and r.visit.visit_date.month == 2)
    new_visit = VisitVersion(replace(late.visit, visit_id="v-late"), version=1,
                             recorded_date=datetime.now(UTC).date())
    clickhouse_client(clickhouse_database).execute(
        insert_visit_facts_sql(clickhouse_database), [_visit_row(new_visit, 10_000)])

    assert summary_of(scope, database=clickhouse_database)["visits"] == first["visits"] + 1



def _late_visit(clickhouse_database: str, rows: list[VisitVersion], visit_id: str) -> None:
    late = next(r for r in rows if r.version == 1 and r.visit.visit_date.month == 2)
    new_visit = VisitVersion(replace(late.visit, visit_id=visit_id), version=1,
                             recorded_date=datetime.now(UTC).date())
    clickhouse_client(clickhouse_database).execute(
        insert_visit_facts_sql(clickhouse_database), [_visit_row(new_visit, 10_000)])


def test_stale_figures_are_served_only_to_who_accepts_them(clickhouse_database: str) -> None:
    rows, _ = _load(clickhouse_database, 4)
    scope = Scope(TENANTS, date(2026, 1, 1), date(2026, 3, 31))
    first = current_summary(scope, database=clickhouse_database)
    visits = first.summary["visits"]
    assert first.stale_seconds == 0

    # Accepting stale figures without waiting: the cached ones (marked stale) unless the recount
    # already finished; the recount goes on in the background until the figures are current.
    # (Such a caller takes the version the process read last: the test waits until it is read.)
    _late_visit(clickhouse_database, rows, "v-late-1")
    data_version_watch_caught_up(clickhouse_database)
    answer = current_summary(scope, database=clickhouse_database, max_stale_seconds=60)
    assert (answer.summary["visits"], answer.stale_seconds > 0) in {(visits, True),
                                                                    (visits + 1, False)}
    statistics.wait_for_counts(30)
    answer = current_summary(scope, database=clickhouse_database, max_stale_seconds=60)
    assert (answer.summary["visits"], answer.stale_seconds) == (visits + 1, 0)

    # Waiting long enough for the recount: current figures.
    _late_visit(clickhouse_database, rows, "v-late-2")
    data_version_watch_caught_up(clickhouse_database)
    answer = current_summary(scope, database=clickhouse_database, max_stale_seconds=60,
                             stale_wait_seconds=30)
    assert (answer.summary["visits"], answer.stale_seconds) == (visits + 2, 0)

    # Figures older than the caller accepts, or a caller who accepts none: counted before
    # answering.
    _late_visit(clickhouse_database, rows, "v-late-3")  # takes longer than the microsecond
    answer = current_summary(scope, database=clickhouse_database, max_stale_seconds=1e-6)
    assert (answer.summary["visits"], answer.stale_seconds) == (visits + 3, 0)
    _late_visit(clickhouse_database, rows, "v-late-4")
    assert summary_of(scope, database=clickhouse_database)["visits"] == visits + 4


def test_a_count_longer_than_the_caller_waits_goes_on_for_the_next(
        clickhouse_database: str) -> None:
    _load(clickhouse_database, 5)
    scope = Scope(TENANTS, date(2026, 1, 1), date(2026, 2, 28))
    with pytest.raises(CountInProgress) as counting:
        current_summary(scope, database=clickhouse_database, count_wait_seconds=0)
    assert counting.value.retry_after_seconds > 0

    counted = summary_of(scope, database=clickhouse_database)  # waits for the same count
    assert counted["visits"] == figures_of(scope, database=clickhouse_database).visits_total
    answer = current_summary(scope, database=clickhouse_database, count_wait_seconds=0)
    assert answer == statistics.Answer(counted)


def test_a_failed_count_is_the_callers_error(clickhouse_database: str) -> None:
    scope = Scope(TENANTS, date(2026, 1, 1), date(2026, 1, 31))
    with pytest.raises(ClickHouseError):
        current_summary(scope, database=f"{clickhouse_database}_missing", count_wait_seconds=30)


def _months_of_2026(clickhouse_database: str) -> Iterator[tuple[Scope, str]]:
    """Month scopes and their cache keys, each under a lock file of its own (`host_lock`)."""
    lock_files: set[Path] = set()
    for month in range(1, 13):
        scope = Scope(TENANTS, date(2026, month, 1),
                      date(2026, month, calendar.monthrange(2026, month)[1]))
        key = statistics._cache_key(clickhouse_database, scope)
        if statistics.count_lock_path(key) not in lock_files:
            lock_files.add(statistics.count_lock_path(key))
            yield scope, key


def test_too_many_counts_at_once_are_refused(clickhouse_database: str) -> None:
    _load(clickhouse_database, 6)
    months = _months_of_2026(clickhouse_database)
    busy = [next(months) for _ in range(statistics.MAX_CONCURRENT_COUNTS)]
    other, _ = next(months)
    with contextlib.ExitStack() as held:
        # Every slot of this process taken by a count waiting for another process's count.
        for scope, key in busy:
            held.enter_context(statistics.host_lock(key))
            with pytest.raises(CountInProgress):
                current_summary(scope, database=clickhouse_database, count_wait_seconds=0)
        # A further question is refused at once, though its own count would take milliseconds.
        with pytest.raises(CountInProgress):
            current_summary(other, database=clickhouse_database, count_wait_seconds=30)
    statistics.wait_for_counts(30)  # the slots free again: the question is answered
    assert current_summary(other, database=clickhouse_database).summary["visits"] == figures_of(
        other, database=clickhouse_database).visits_total


def test_a_scope_another_process_is_counting_is_waited_for_not_counted_again(
        clickhouse_database: str) -> None:
    scope = Scope(TENANTS, date(2026, 4, 1), date(2026, 4, 30))
    key = statistics._cache_key(clickhouse_database, scope)
    # This process stands in for another API worker counting the scope: it holds the host's lock
    # (a second open file of the same lock conflicts, as another process's would).
    with statistics.host_lock(key):
        waiting = statistics._Count(scope, f"{clickhouse_database}_missing", key)
        waiting.start()
        waiting.join(0.5)
        assert waiting.is_alive(), "a count must wait while another process counts its scope"
        theirs = statistics._Cached(version="theirs", counted_at=time.time(),
                                    summary={"visits": 5})
        cache.set(key, theirs, 60)
    waiting.join(30)
    # It took the other process's figures: counting itself would have failed (no such database).
    assert (waiting.error, waiting.result) == (None, theirs)
