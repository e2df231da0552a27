"""`msc bench stats`: the statistics API with millions of visits in ClickHouse.

Loads `--visits` (default 10,000,000) synthetic visit facts into a ClickHouse database of its own
(`msc_bench_stats_<visits>`, migrated like the platform's; kept for the next run with `--keep`,
otherwise dropped), generated inside ClickHouse from `system.numbers`: seven tenants, eight
centres each, ten years of visits (2016-10-01 to 2026-09-30, one part per month as a merged
table would have), about three visits per client, clients with the coded profile the stream
worker writes (category, sex, age, urban, employment, previous stays, intention, preferred
destinations, permit), 0.5 % of the visits corrected once (a second version, on another day), a
few group sessions and 1 % of the visits referred.

Then it asks `GET /api/v1/stats/summary` through Django's test client in-process (the API's whole
middleware, token validation, serializer and JSON rendering; no network), with real tokens of
`regional.monitor` and `counsellor.al` from Keycloak, the questions the dashboard and the
report ask: the last quarter of the region and of one tenant, the last month, a week, a
year, five years (the longest period the API allows). Each question is asked once with an
empty cache (cold: ClickHouse counts; a count longer than a request waits answers 503 and goes
on, and the question is asked again until its figures come) and then `--requests` more times
(warm: answered from the cache, which holds until ClickHouse's data changes). Prints each
question's cold time and warm p50/p99, and the p99 over every request.

Then the live phase (`--live` requests, default 200): before each request one more visit arrives
(a row inserted into ClickHouse, as the stream worker writes it), and the dashboard's question
(the region's last quarter) is asked the way the dashboard asks it, accepting the figures the
cache still holds however old (`Cache-Control: max-stale=600`, the dashboard's
MAX_STALE_SECONDS): served from the cache while the figures are counted again in the
background. Prints the live p50/p99 and how old the figures served were.

Target: p99 under 50 ms. With `--json` the last line is one JSON object (`p99_ms`,
`warm_p99_ms`, `cold_max_ms`, `live_p99_ms`, `live_max_age_s`, `visits_loaded`, and each
question's figures).
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from benchmarks.common import dev_tokens, json_line, percentile
from infra.stack.manager import stack_up

if TYPE_CHECKING:
    from clickhouse_driver import Client

TARGET_MS = 50.0
TENANTS = ("AL", "BA", "HR", "XK", "MK", "ME", "RS")
FIRST_DAY = "2016-10-01"
DAYS = 3652  # to 2026-09-30

# Visit n falls on day n * DAYS // visits, so a month's visits are one range of numbers and each
# month's insert makes one part in its own partition. Client c = hash(n) mod (visits / 3).
_VISITS_SQL = """
INSERT INTO {db}.visit_facts (tenant_id, visit_id, version, event_id, recorded_date, visit_date,
    occurred_at, centre_id, channel, services, topics, destinations_discussed, group_session_id,
    client_pseudonym, client_category, sex, age_years, age_band, citizenship, municipality_code,
    urban, education_level, employment_status, occupation_isco, previous_stay_countries,
    previous_stay_purposes, migration_intention, preferred_destinations, permit_status)
SELECT
    {tenants}[client % 7 + 1] AS tenant,
    concat(hex(intHash64(number)), '-', toString(number)) AS visit,
    toUInt64(1), concat('e', toString(number)),
    day AS recorded, toDate('{first}') + intDiv(number * {days}, {visits}) AS day,
    toDateTime(day) + 36000 + intHash64(number) % 28800,
    concat(lower(tenant), '-centre-', toString(intHash64(client) % 8)),
    ['in_person', 'phone', 'e_mail', 'online'][intHash64(number + 1) % 4 + 1],
    [['information'], ['counselling'], ['information', 'counselling'],
     ['information', 'referral'], ['counselling', 'referral']][intHash64(number + 2) % 5 + 1],
    ['labour_market'], ['DE'], if(intHash64(number + 3) % 200 = 0,
                                   concat(lower(tenant), '-session-', toString(day)), ''),
    concat(hex(intHash64(client)), toString(client)),
    ['national', 'national', 'national', 'national', 'returnee', 'returnee', 'immigrant']
        [intHash64(client + 11) % 7 + 1] AS category,
    ['male', 'female'][intHash64(client + 12) % 2 + 1],
    toUInt8(16 + intHash64(client + 13) % 50), '', tenant, 'M1',
    toUInt8(intHash64(client + 14) % 3 > 0), 'isced3',
    ['unemployed', 'unemployed', 'employed', 'student', 'inactive', 'self_employed']
        [intHash64(client + 15) % 6 + 1], '4',
    [[], [], ['DE'], ['IT', 'DE'], ['AT'], ['US', 'GR']][intHash64(client + 16) % 6 + 1],
    [[], [], ['work'], ['work', 'study'], ['family'], ['work', 'asylum']]
        [intHash64(client + 16) % 6 + 1],
    ['labour', 'labour', 'study', 'family_reunion', 'none', 'undecided']
        [intHash64(client + 17) % 6 + 1],
    [['DE'], ['DE', 'AT'], ['IT'], ['US', 'CA', 'DE'], [], ['CH', 'DE']]
        [intHash64(client + 18) % 6 + 1],
    if(category = 'immigrant', ['work_permit', 'residence_permit', 'asylum_seeker']
        [intHash64(client + 19) % 3 + 1], '')
FROM (SELECT number, intHash64(number) % {clients} AS client
      FROM system.numbers WHERE number >= {low} LIMIT {count})
"""

# 0.5 % of the visits get a second version a few days later (same partition: first recorded).
_CORRECTIONS_SQL = """
INSERT INTO {db}.visit_facts
SELECT tenant_id, visit_id, toUInt64(2), concat(event_id, '-2'), recorded_date,
    visit_date + cityHash64(visit_id) % 20 - 10, occurred_at, centre_id, channel,
    ['counselling'], topics, destinations_discussed, group_session_id, client_pseudonym,
    client_category, sex, age_years, age_band, citizenship, municipality_code, urban,
    education_level, employment_status, occupation_isco, previous_stay_countries,
    previous_stay_purposes, migration_intention, preferred_destinations, permit_status, now()
FROM {db}.visit_facts
WHERE recorded_date BETWEEN '{month_start}' AND '{month_end}' AND cityHash64(visit_id) % 200 = 0
"""

_SESSIONS_SQL = """
INSERT INTO {db}.group_session_facts
SELECT tenant_id, group_session_id, toUInt64(1), concat('s', group_session_id), visit_date,
    toDateTime(visit_date) + 36000, any(centre_id), concat('Centre ', any(centre_id)),
    ['CV preparation', 'Working in Germany', 'Pre-departure orientation']
        [cityHash64(group_session_id) % 3 + 1], '', toUInt32(count()), now()
FROM {db}.visit_facts
WHERE group_session_id != ''
GROUP BY tenant_id, group_session_id, visit_date
"""

_REFERRALS_SQL = """
INSERT INTO {db}.referral_facts (tenant_id, referral_id, version, event_id, sent_date, sent_at,
    occurred_at, answered_at, action, state, client_pseudonym, organization_id,
    organization_name, service_id, service_name, need, suggestion_rank, outcome)
SELECT tenant_id, concat('r-', visit_id), toUInt64(3), concat('r', event_id), visit_date,
    occurred_at, occurred_at + 86400, occurred_at + 3600 * (1 + cityHash64(visit_id) % 72),
    'accept', ['accepted', 'declined', 'completed', 'in_progress'][cityHash64(visit_id) % 4 + 1],
    client_pseudonym, concat(lower(tenant_id), '-inst-', toString(cityHash64(visit_id) % 6)),
    concat('Institution ', toString(cityHash64(visit_id) % 6)), 'svc', 'Course',
    ['language_course', 'vocational_training', 'recognition'][cityHash64(visit_id) % 3 + 1],
    toUInt16(1 + cityHash64(visit_id) % 3), ''
FROM {db}.visit_facts
WHERE has(services, 'referral') AND cityHash64(visit_id) % 20 = 0 AND version = 1
"""


@dataclass
class Question:
    """One question to the statistics API, asked cold once and then warm."""

    name: str
    user: str
    query: dict[str, str]
    cold_ms: float = 0.0
    warm_ms: list[float] = field(default_factory=list)
    counting_answers: int = 0  # 503s: the count took longer than a request waits


def _months() -> list[tuple[str, str, int, int]]:
    """(first day, last day, first visit number, visits) of each month of the period."""
    from datetime import date, timedelta

    first = date.fromisoformat(FIRST_DAY)
    months = []
    day = first
    while (day - first).days < DAYS:
        following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
        months.append((day, min(following, first + timedelta(days=DAYS))))
        day = following
    return [(start.isoformat(), (end - timedelta(days=1)).isoformat(),
             (start - first).days, (end - first).days) for start, end in months]


def _load(client: Client, db: str, visits: int) -> float:
    """Generate the data month by month; seconds taken."""
    began = time.monotonic()
    tenants = "[" + ", ".join(f"'{t}'" for t in TENANTS) + "]"
    for n, (month_start, month_end, first_day, end_day) in enumerate(_months()):
        # Visit numbers whose day falls in [first_day, end_day): n * DAYS // visits >= first_day.
        low = -(-first_day * visits // DAYS)
        high = -(-end_day * visits // DAYS)
        client.execute(_VISITS_SQL.format(
            db=db, tenants=tenants, first=FIRST_DAY, days=DAYS, visits=visits,
            clients=max(1, visits // 3), low=low, count=high - low))
        client.execute(_CORRECTIONS_SQL.format(db=db, month_start=month_start,
                                               month_end=month_end))
        if n % 12 == 0:
            print(f"  loaded up to {month_end} ({high:,} visits) in "
                  f"{time.monotonic() - began:.0f}s", flush=True)
    client.execute(_SESSIONS_SQL.format(db=db))
    client.execute(_REFERRALS_SQL.format(db=db))
    return time.monotonic() - began


def _prepare(db: str, visits: int, *, reuse: bool) -> None:
    from analytics_stream.clickhouse.client import clickhouse_client
    from analytics_stream.clickhouse.migrate import apply_migrations, drop_database

    client = clickhouse_client("default")
    exists = client.execute("SELECT count() FROM system.databases WHERE name = %(db)s",
                            {"db": db})[0][0]
    if exists and reuse:
        loaded = client.execute(  # the live phase's visits are not the loaded ones
            f"SELECT count() FROM {db}.visit_facts "  # noqa: S608 - bench's own name
            f"WHERE version = 1 AND NOT startsWith(visit_id, 'live-')")[0][0]
        if loaded == visits:
            print(f"reusing {db}: {loaded:,} visits already loaded")
            return
    drop_database(db)
    apply_migrations(db)
    print(f"loading {visits:,} visits into {db} (ten years, generated inside ClickHouse)")
    seconds = _load(client, db, visits)
    rows = client.execute(f"SELECT count(), uniqExact(visit_id) FROM {db}.visit_facts")[0]  # noqa: S608 - bench's own name
    print(f"loaded in {seconds:.0f}s: {rows[1]:,} visits, {rows[0]:,} rows with corrections")


def _questions() -> list[Question]:
    region, al = "regional.monitor", "counsellor.al"
    quarter = {"from": "2026-07-01", "to": "2026-09-30"}
    return [
        Question("region, last quarter", region, quarter),
        Question("region, one tenant, last quarter", region, {**quarter, "tenant": "AL"}),
        Question("region, last month", region, {"from": "2026-09-01", "to": "2026-09-30"}),
        Question("region, a year", region, {"from": "2025-01-01", "to": "2025-12-31"}),
        Question("region, five years", region, {"from": "2021-10-01", "to": "2026-09-30"}),
        Question("tenant, last quarter", al, quarter),
        Question("tenant, a week", al, {"from": "2026-09-21", "to": "2026-09-27"}),
    ]


@dataclass
class Live:
    """The live phase: latencies (ms) and the age (s) of the figures each request got."""

    latencies_ms: list[float] = field(default_factory=list)
    ages_s: list[float] = field(default_factory=list)


def _ask(questions: list[Question], requests: int, live_requests: int, db: str) -> Live:
    from django.core.cache import cache
    from django.test import Client as Browser

    tokens = {q.user: str(dev_tokens(q.user)["access_token"]) for q in questions}
    browser = Browser(SERVER_NAME="localhost")

    def get(question: Question, cache_control: str = "") -> tuple[float, float]:
        """Milliseconds until the figures came, and their age (0: current).

        A count longer than a request waits answers 503 (statistics_counting) and goes on: the
        question is asked again, as a client following Retry-After would, a little sooner.
        """
        headers = {"Authorization": f"Bearer {tokens[question.user]}"}
        if cache_control:
            headers["Cache-Control"] = cache_control
        began = time.perf_counter()
        while True:
            response = browser.get("/api/v1/stats/summary", question.query, headers=headers)
            if response.status_code != 503 or b"statistics_counting" not in response.content:
                break
            question.counting_answers += 1
            time.sleep(0.2)
        elapsed = (time.perf_counter() - began) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{question.name}: {response.status_code} {response.content[:300]!r}")
        return elapsed, float(response.headers.get("Age", 0))

    # The process's first request loads code and the realm's keys; it is not a question's.
    get(Question("warm-up", questions[0].user, {"from": FIRST_DAY, "to": "2016-10-31"}))
    cache.clear()
    for question in questions:
        question.cold_ms = get(question)[0]
        question.warm_ms = [get(question)[0] for _ in range(requests)]
        counting = (f" (503 'being counted' {question.counting_answers}x meanwhile)"
                    if question.counting_answers else "")
        print(f"{question.name:34} cold {question.cold_ms:8.1f} ms{counting}; warm p50 "
              f"{percentile(question.warm_ms, 0.5):6.1f} ms, p99 "
              f"{percentile(question.warm_ms, 0.99):6.1f} ms", flush=True)
    return _live(questions[0], live_requests, db, get)


def _live(question: Question, requests: int, db: str,
          get: Callable[[Question, str], tuple[float, float]]) -> Live:
    """Ask `question` as the dashboard does, one new visit before each request."""
    from analytics_stream.clickhouse.client import clickhouse_client
    from analytics_stream.clickhouse.sql.visits import VISIT_FACT_COLUMNS, insert_visit_facts_sql
    from analytics_stream.dashboard import MAX_STALE_SECONDS

    client = clickhouse_client(db)
    names = [name for name, _ in VISIT_FACT_COLUMNS]
    model = list(client.execute(  # the period's last visit (a small --visits has few a day)
        f"SELECT {', '.join(names)} FROM {db}.visit_facts "  # noqa: S608 - bench's own names
        f"WHERE visit_date BETWEEN %(first)s AND %(last)s ORDER BY visit_date DESC LIMIT 1",
        {"first": date.fromisoformat(question.query["from"]),
         "last": date.fromisoformat(question.query["to"])})[0])
    live = Live()
    for n in range(requests):
        row = list(model)
        row[names.index("visit_id")] = row[names.index("event_id")] = f"live-{n}-{time.time_ns()}"
        client.execute(insert_visit_facts_sql(db), [tuple(row)])
        elapsed, age = get(question, f"max-stale={MAX_STALE_SECONDS:.0f}")
        live.latencies_ms.append(elapsed)
        live.ages_s.append(age)
        time.sleep(0.05)  # the dashboard polls; a bench of back-to-back requests would not
    client.disconnect()
    print(f"{'live: ' + question.name:34} {requests} requests, a new visit before each: p50 "
          f"{percentile(live.latencies_ms, 0.5):6.1f} ms, p99 "
          f"{percentile(live.latencies_ms, 0.99):6.1f} ms; figures up to "
          f"{max(live.ages_s):.0f} s old (p50 {percentile(live.ages_s, 0.5):.0f} s)", flush=True)
    return live


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="msc bench stats", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--visits", type=int, default=10_000_000)
    parser.add_argument("--requests", type=int, default=100,
                        help="warm requests of each question (default 100)")
    parser.add_argument("--live", type=int, default=200,
                        help="requests of the live phase, one new visit before each "
                             "(default 200)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the database, and reuse it if it holds --visits visits")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.visits < 1000 or args.requests < 1 or args.live < 1:
        parser.error("need --visits >= 1000, --requests >= 1 and --live >= 1")
    stack_up()
    db = f"msc_bench_stats_{args.visits}"
    os.environ["MSC_CLICKHOUSE_DATABASE"] = db
    # A cache of its own: the bench empties it, and the platform's API keeps its own.
    cache_dir = tempfile.mkdtemp(prefix="msc-bench-stats-cache-")
    os.environ["MSC_CACHE_DIR"] = cache_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "services.settings.dev")
    import django

    django.setup()
    from analytics_stream.clickhouse.migrate import drop_database

    load = os.getloadavg()[0]
    print(f"load average {load:.2f} on {os.cpu_count()} CPUs before the run (other work on the "
          f"machine inflates the latencies)")
    try:
        _prepare(db, args.visits, reuse=args.keep)
        questions = _questions()
        live = _ask(questions, args.requests, args.live, db)
    finally:
        shutil.rmtree(cache_dir, ignore_errors=True)
        if not args.keep:
            drop_database(db)
    every = [ms for q in questions for ms in (q.cold_ms, *q.warm_ms)]
    warm = [ms for q in questions for ms in q.warm_ms]
    p99 = percentile(every, 0.99)
    cold_max = max(q.cold_ms for q in questions)
    print(f"every request: p50 {percentile(every, 0.5):.1f} ms, p99 {p99:.1f} ms "
          f"({len(every)} requests, {len(questions)} of them cold); warm p99 "
          f"{percentile(warm, 0.99):.1f} ms; slowest cold {cold_max:.0f} ms")
    live_p99 = percentile(live.latencies_ms, 0.99)
    met = p99 < TARGET_MS and live_p99 < TARGET_MS
    few_cold = len(questions) <= 0.01 * len(every)
    print(f"target p99 < {TARGET_MS:.0f} ms: {'met' if met else 'MISSED'}. Every request "
          f"{p99:.1f} ms ({len(questions)} of {len(every)} requests cold"
          f"{': at most 1 %, so this is the p99 of cached answers' if few_cold else ''}); a count "
          f"took up to {cold_max:.0f} ms. With visits arriving, answered as the dashboard asks: "
          f"p99 {live_p99:.1f} ms, for figures up to {max(live.ages_s):.0f} s old")
    if args.json:
        print(json_line({
            "p99_ms": round(p99, 2), "warm_p99_ms": round(percentile(warm, 0.99), 2),
            "cold_max_ms": round(cold_max, 2), "visits_loaded": args.visits,
            "live_p99_ms": round(live_p99, 2), "live_max_age_s": max(live.ages_s),
            "target_met": met, "load_average": round(load, 2),
            "questions": {q.name: {"cold_ms": round(q.cold_ms, 2),
                                   "warm_p50_ms": round(percentile(q.warm_ms, 0.5), 2),
                                   "warm_p99_ms": round(percentile(q.warm_ms, 0.99), 2)}
                          for q in questions}}))
    return 0
