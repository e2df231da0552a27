"""The statistics of a period and scope, read from ClickHouse and shaped for the API and report.

ClickHouse holds pseudonymised visit facts, group sessions and referral facts, a row per version;
each query reads the latest version of each record (argMax by version, not FINAL, which opens
every part of the table at once). ClickHouse counts the period's visits per client profile and
`analytics_stream.tallies` turns the counts into the programme's figures (the same as
`analytics_stream.figures` computes from visit records); `analytics_stream.referral_figures` does
the referrals sent in the period, and `summary` lays them out, withholding small cells where the
view crosses tenants or goes below a tenant (`analytics_stream.disclosure`).

`current_summary` answers a repeated question from a cache (one entry per scope, holding the
ClickHouse data version it counted, `analytics_stream.data_version`) until the data changes, and
counts in the background; `summary_of` waits for the count, however long.
"""

from __future__ import annotations

import calendar
import contextlib
import fcntl
import hashlib
import logging
import pickle
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, timedelta
from pathlib import Path
from typing import Any

from clickhouse_driver import Client
from django.conf import settings
from django.core.cache import cache

from analytics_stream.clickhouse.client import clickhouse_client
from analytics_stream.clickhouse.sql.referrals import REFERRAL_FACTS_TABLE
from analytics_stream.clickhouse.sql.sessions import GROUP_SESSION_FACTS_TABLE
from analytics_stream.clickhouse.sql.visits import VISIT_FACTS_TABLE
from analytics_stream.data_version import (
    current_data_version,
    data_version,
    recent_data_version,
)
from analytics_stream.disclosure import (
    is_small,
    suppress_breakdown,
    suppress_count,
    suppress_statistic,
    withheld_groups,
)
from analytics_stream.figures import QuarterlyFigures, Share, Tally
from analytics_stream.referral_figures import (
    COUNTS,
    Completion,
    ReferralCounts,
    ReferralFigures,
    ReferralRecord,
    referral_figures,
)
from analytics_stream.tallies import Dimension as D
from analytics_stream.tallies import TallyRow, figures_from_tallies

logger = logging.getLogger(__name__)

# A statistics query may not hold ClickHouse longer than this: five years of the whole region
# at ten million visits take about two minutes on two cores. Past 1 GB a grouping goes on on
# disk rather than fail at the server's memory limit (five years would need about 4 GB).
COUNT_TIME_LIMIT_SECONDS = 300
QUERY_LIMITS = {"max_execution_time": COUNT_TIME_LIMIT_SECONDS,
                "max_bytes_before_external_group_by": 1_000_000_000}
# Counts running at once in one process; more questions get CountInProgress (503, Retry-After).
MAX_CONCURRENT_COUNTS = 2
COUNT_RETRY_AFTER_SECONDS = 10
# A cached summary is dropped after this long even if no data came (it would still be right).
SUMMARY_CACHE_SECONDS = 600
# A caller who accepts stale figures takes the process's last reading of the data version if it
# began at most this long ago (it is read every 0.2 s; slower while ClickHouse is busy).
WATCHED_VERSION_MAX_AGE_SECONDS = 1.0


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


# The months (of first recording) whose partitions hold a visit row of the period, any tenant.
_RECORDED_MONTHS_SQL = f"""
SELECT DISTINCT toStartOfMonth(recorded_date) AS month
FROM {VISIT_FACTS_TABLE}
WHERE visit_date BETWEEN %(start)s AND %(end)s
ORDER BY month
"""  # noqa: S608 - the table name is a constant; every value is bound by the driver

# The visits of a period, each in its latest version, reduced to one coded profile per client (the
# one of their latest visit, by date then visit id) and counted by tenant, class and code (see
# `analytics_stream.tallies`). Every version of a visit is in the partition of the month it was
# first recorded, so deduplicating within the partitions that hold a row of the period is exact,
# like FINAL, even for a visit corrected into or out of the period; unlike FINAL it reads only
# those partitions and never holds a reader open on every part of the table.
_TALLIES_SQL = f"""
SELECT tenant_id, p.1 = 'immigrant' AS immigrant, kv.1 AS dimension, kv.2 AS code,
       sum(kv.3) AS value, min(first_day), max(last_day)
FROM (
    SELECT tenant_id, client,
           argMax(profile, tuple(day, visit_id)) AS p,
           count() AS visits,
           groupArrayArray(arrayDistinct(services_given)) AS services_all,
           min(day) AS first_day, max(day) AS last_day,
           groupUniqArray(centre) AS centres,
           groupUniqArrayIf(tuple(topic, session, centre), session != '') AS sessions
    FROM (
        SELECT tenant_id, visit_id,
               argMax(visit_date, version) AS day,
               argMax(centre_id, version) AS centre,
               argMax(services, version) AS services_given,
               argMax(group_session_id, version) AS session,
               argMax(client_pseudonym, version) AS client,
               argMax(tuple(client_category, sex, age_years, urban, employment_status,
                            previous_stay_countries, previous_stay_purposes, migration_intention,
                            preferred_destinations, permit_status), version) AS profile
        FROM {VISIT_FACTS_TABLE}
        WHERE tenant_id IN %(tenants)s
          AND ({{recorded_months}})
        GROUP BY tenant_id, visit_id
        HAVING day BETWEEN %(start)s AND %(end)s AND (%(centre)s = '' OR centre = %(centre)s)
    ) ANY LEFT JOIN (
        SELECT tenant_id, session_id AS session, argMax(topic, version) AS topic
        FROM {GROUP_SESSION_FACTS_TABLE}
        WHERE tenant_id IN %(tenants)s
        GROUP BY tenant_id, session_id
    ) USING (tenant_id, session)
    GROUP BY tenant_id, client
)
ARRAY JOIN arrayConcat(
    [('{D.CLIENTS}', '', toUInt64(1)), ('{D.VISITS}', '', toUInt64(visits)),
     ('{D.SEX}', p.2, toUInt64(1)), ('{D.AGE}', toString(p.3), toUInt64(1)),
     ('{D.URBAN}', toString(p.4), toUInt64(1)), ('{D.EMPLOYMENT}', p.5, toUInt64(1)),
     ('{D.EXPERIENCED}', toString(notEmpty(p.6)), toUInt64(1)),
     ('{D.INTENTION}', p.8, toUInt64(1)), ('{D.PERMIT}', p.10, toUInt64(1))],
    arrayMap(s -> ('{D.SERVICE}', s, toUInt64(1)), services_all),
    arrayMap(c -> ('{D.PREVIOUS_COUNTRY}', c, toUInt64(1)), arrayDistinct(p.6)),
    arrayMap(c -> ('{D.PREVIOUS_PURPOSE}', c, toUInt64(1)), arrayDistinct(p.7)),
    arrayMap(c -> ('{D.PREFERRED}', c, toUInt64(1)), arrayDistinct(p.9)),
    arrayMap(c -> ('{D.CENTRE}', c, toUInt64(1)), centres),
    arrayMap(s -> ('{D.SESSION}', concat(s.1, '\\0', s.2, '\\0', s.3), toUInt64(1)), sessions),
    arrayMap(t -> ('{D.TOPIC}', t, toUInt64(1)), arrayDistinct(arrayMap(s -> s.1, sessions)))
) AS kv
GROUP BY tenant_id, immigrant, dimension, code
"""  # noqa: S608 - table names and dimensions are constants; every value is bound by the driver

# Visit facts carry no centre names; the tenants' group sessions (each in its latest version) do.
_CENTRE_NAMES_SQL = f"""
SELECT centre.1, centre.2
FROM (
    SELECT argMax(tuple(centre_id, centre_name), version) AS centre
    FROM {GROUP_SESSION_FACTS_TABLE}
    WHERE tenant_id IN %(tenants)s
    GROUP BY tenant_id, session_id
)
WHERE centre.2 != ''
"""  # noqa: S608 - the table name is a constant; every value is bound by the driver


def _month_ranges(months: Sequence[date]) -> list[tuple[date, date]]:
    """Consecutive months (first days, ascending) joined into (first day, last day) ranges."""
    ranges: list[tuple[date, date]] = []
    for month in months:
        end = month + timedelta(days=calendar.monthrange(month.year, month.month)[1] - 1)
        if ranges and ranges[-1][1] + timedelta(days=1) == month:
            ranges[-1] = (ranges[-1][0], end)
        else:
            ranges.append((month, end))
    return ranges


def figure_tallies(scope: Scope, client: Client) -> list[TallyRow]:
    """The scope's visits counted inside ClickHouse (`analytics_stream.tallies`).

    The partitions to read are found first and named by date ranges, which ClickHouse prunes
    partitions by (it cannot with a subquery).
    """
    period = {"start": scope.start, "end": scope.end}
    months = [month for (month,) in client.execute(_RECORDED_MONTHS_SQL, period,
                                                   settings=QUERY_LIMITS)]
    if not months:
        return []
    bound: dict[str, Any] = {**period, "tenants": scope.tenants, "centre": scope.centre_id or ""}
    conditions = []
    for n, (first, last) in enumerate(_month_ranges(months)):
        conditions.append(f"recorded_date BETWEEN %(first{n})s AND %(last{n})s")
        bound |= {f"first{n}": first, f"last{n}": last}
    sql = _TALLIES_SQL.replace("{recorded_months}", " OR ".join(conditions))
    return [TallyRow(tenant_id=tenant, immigrant=bool(immigrant), dimension=dimension,
                     code=code, value=value, first_day=first, last_day=last)
            for tenant, immigrant, dimension, code, value, first, last
            in client.execute(sql, bound, settings=QUERY_LIMITS)]


def figures_of(scope: Scope, *, database: str | None = None,
               client: Client | None = None) -> QuarterlyFigures:
    """The programme's figures of the scope; centres named as their group sessions name them.

    Reads `database` (None: the platform's) through `client` if given, else a new connection.
    """
    client = client or clickhouse_client(database)
    names = dict(client.execute(_CENTRE_NAMES_SQL, {"tenants": scope.tenants},
                                settings=QUERY_LIMITS))
    return figures_from_tallies(figure_tallies(scope, client), centre_names=names)


_REFERRALS_SQL = f"""
SELECT tenant_id, referral_id, r.1, r.2, r.3, r.4, r.5, r.6, r.7, r.8
FROM (
    SELECT tenant_id, referral_id,
           argMax(tuple(client_pseudonym, organization_id, organization_name, need, state,
                        sent_at, answered_at, suggestion_rank), version) AS r
    FROM {REFERRAL_FACTS_TABLE}
    WHERE tenant_id IN %(tenants)s AND sent_date BETWEEN %(start)s AND %(end)s
    GROUP BY tenant_id, referral_id
)
"""  # noqa: S608 - the table name is a constant; every value is bound by the driver


def referral_records(scope: Scope, client: Client) -> list[ReferralRecord]:
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
        in client.execute(_REFERRALS_SQL, bound, settings=QUERY_LIMITS)]


def referral_figures_of(scope: Scope, *, database: str | None = None,
                        client: Client | None = None) -> ReferralFigures:
    records = referral_records(scope, client or clickhouse_client(database))
    return referral_figures(records, tenants=scope.tenants)


@dataclass(frozen=True)
class Answer:
    """A summary and how current it is.

    `stale_seconds` is 0 when the figures count every row ClickHouse holds now; otherwise the
    figures are those of the data as it was that many seconds ago (served only to a caller that
    accepts it, while they are counted again).
    """

    summary: dict[str, Any]
    stale_seconds: float = 0.0


class CountInProgress(Exception):
    """The figures asked for are still being counted (or too many other counts run): ask again.

    The count goes on in the background and its figures are cached for the next request.
    """

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(f"counting; ask again in {retry_after_seconds} s")
        self.retry_after_seconds = retry_after_seconds


@dataclass(frozen=True)
class _Cached:
    """A counted summary and the data version it counts (read before the counting began)."""

    version: str
    counted_at: float  # time.time() when the data version was read
    summary: dict[str, Any]


class _Count(threading.Thread):
    """One count of a scope's summary, in the background, cached when done."""

    def __init__(self, scope: Scope, database: str, key: str) -> None:
        super().__init__(name="stats-count", daemon=True)
        self.scope, self.database, self.key = scope, database, key
        self.result: _Cached | None = None
        self.error: Exception | None = None

    def run(self) -> None:
        started = time.time()
        try:
            with host_lock(self.key):
                # Another API process may have counted this scope while this one waited for the
                # lock: begun after this count was asked for, its figures are as good.
                counted = _cached(self.key)
                if counted is not None and counted.counted_at >= started:
                    self.result = counted
                    return
                self.result = self._count_and_cache()
        except Exception as exc:  # handed to whoever waits for this count
            self.error = exc
            logger.warning("counting the statistics of %r failed: %s", self.scope, exc)
        finally:
            with _counts_lock:
                _counts.pop(self.key, None)

    def _count_and_cache(self) -> _Cached:
        client = clickhouse_client(self.database,
                                   receive_timeout_seconds=COUNT_TIME_LIMIT_SECONDS + 30)
        try:
            counted = _counted(self.scope, client, self.database)
        finally:
            client.disconnect()
        cache.set(self.key, counted, SUMMARY_CACHE_SECONDS)
        return counted


def count_lock_path(key: str) -> Path:
    """The lock file of `key`'s counts: one of 256, by the key's hash."""
    stripe = hashlib.sha256(key.encode()).hexdigest()[:2]
    return Path(settings.STATS_COUNT_LOCK_DIR) / f"{stripe}.lock"


@contextlib.contextmanager
def host_lock(key: str) -> Iterator[None]:
    """Held while this host counts `key`: the API's worker processes count a scope one at a
    time, and the others take its figures from the shared cache. One of 256 lock files (by the
    key's hash, so the files stay few): two scopes rarely share one, and then just take turns.
    The kernel releases the lock of a process that dies."""
    path = count_lock_path(key)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with open(path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


# The counts running in this process, by cache key: one per key, however many ask.
_counts: dict[str, _Count] = {}
_counts_lock = threading.Lock()


def _cache_key(database: str, scope: Scope) -> str:
    return "stats-summary:" + hashlib.sha256(f"{database}:{scope!r}".encode()).hexdigest()


def _cached(key: str) -> _Cached | None:
    """The cached count of `key`; none when there is none, or when it cannot be read (an entry
    pickled by another version of this code: it is counted again)."""
    try:
        entry = cache.get(key)
    except (AttributeError, ImportError, TypeError, ValueError, EOFError, pickle.PickleError):
        return None
    return entry if isinstance(entry, _Cached) else None


def _counted(scope: Scope, client: Client, database: str) -> _Cached:
    """The summary of `scope` counted now, and the data version it counts."""
    counted_at = time.time()  # before the version is read: the count has every row of then
    version = data_version(client, database)
    referrals = None if scope.centre_id else referral_figures_of(scope, client=client)
    computed = summary(scope, figures_of(scope, client=client), referrals)
    return _Cached(version=version, counted_at=counted_at, summary=computed)


def _count(scope: Scope, database: str, key: str) -> _Count:
    """The count of `key` running, or a new one; CountInProgress when too many run already."""
    with _counts_lock:
        running = _counts.get(key)
        if running is None:
            if len(_counts) >= MAX_CONCURRENT_COUNTS:
                raise CountInProgress(COUNT_RETRY_AFTER_SECONDS)
            running = _Count(scope, database, key)
            running.start()
            _counts[key] = running
    return running


def wait_for_counts(timeout_seconds: float) -> None:
    """Wait (up to the timeout each) for this process's counts to end (tests, before they
    empty the cache)."""
    with _counts_lock:
        running = list(_counts.values())
    for count in running:
        count.join(timeout_seconds)


def current_summary(scope: Scope, *, database: str | None = None,
                    max_stale_seconds: float = 0.0, stale_wait_seconds: float = 0.0,
                    count_wait_seconds: float | None = None) -> Answer:
    """The summary of `scope` read from ClickHouse: what the API, dashboard and report show.

    Answered from the cache while ClickHouse's data version is the one it was counted at: the
    dashboard asks the same question every few seconds, the regional office and seven tenants
    ask the same quarters. After new data the summary is counted again, in the background and
    once however many ask (per process, and one process at a time on a host: `host_lock`),
    and the caller waits for the count up to
    `count_wait_seconds` (None: until done); longer, CountInProgress says to ask again, and the
    count goes on and is cached. Under continuous intake a long count is outdated by the time it
    ends: a caller who must have those figures accepts staleness. A caller who accepts figures
    up to `max_stale_seconds` old waits only `stale_wait_seconds` when such figures are cached
    (else as above) and then gets the newest acceptable ones: a large region's quarter takes
    ClickHouse seconds to count, and under continuous intake its data change every second.
    Such a caller is also answered from the data version this process read last
    (`recent_data_version`, every 0.2 s) rather than reading it again: its figures may miss
    rows written in the last fraction of a second, and a poll costs ClickHouse nothing.
    Referrals are sent by a tenant, not by a centre: a centre's view has no referral figures.
    """
    db = settings.CLICKHOUSE["DATABASE"] if database is None else database
    key = _cache_key(db, scope)
    reading = None
    if max_stale_seconds > 0:
        reading = recent_data_version(
            db, max_age_seconds=min(max_stale_seconds, WATCHED_VERSION_MAX_AGE_SECONDS))
    if reading is not None:
        asked_at, version = reading.read_at, reading.version
    else:
        asked_at = time.time()  # before the version is read, like a count's `counted_at`
        version = current_data_version(db)
    cached = _cached(key)
    if cached is not None and cached.version == version:
        return Answer(cached.summary)

    def acceptable(entry: _Cached | None) -> bool:
        return entry is not None and time.time() - entry.counted_at <= max_stale_seconds

    stale = cached if acceptable(cached) else None
    wait = stale_wait_seconds if stale is not None else count_wait_seconds
    deadline = None if wait is None else time.monotonic() + wait
    while True:
        try:
            counting = _count(scope, db, key)
        except CountInProgress:
            if stale is None:
                raise
            break
        counting.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        newest = counting.result or _cached(key)
        if newest is not None and (newest.version == version or newest.counted_at >= asked_at):
            return Answer(newest.summary)
        if newest is not None and acceptable(newest) and (
                stale is None or newest.counted_at > stale.counted_at):
            stale = newest
        if counting.is_alive() or (deadline is not None and time.monotonic() >= deadline):
            break
        if counting.error is not None:
            if stale is not None:
                break
            raise counting.error
        # That count began before this request and may have missed its data: count again.
    if stale is not None:
        return Answer(stale.summary, stale_seconds=max(0.0, time.time() - stale.counted_at))
    raise CountInProgress(COUNT_RETRY_AFTER_SECONDS)


def summary_of(scope: Scope, *, database: str | None = None) -> dict[str, Any]:
    """The summary of `scope` counting every row ClickHouse holds now, however long it takes
    (the report's; see `current_summary`)."""
    return current_summary(scope, database=database).summary


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
