"""`msc bench routing`: referral routing over a large directory, and a partner's large inbox.

Works on a PostgreSQL database of its own (`benchmarks.private_database`: `msc_bench_<id>`,
migrated as the owner role and dropped at the end, also when stopped by SIGTERM or Ctrl-C), so the
platform's data is never touched. Tenant AL gets about 200 institutions with locations across its
municipalities, `--services` services (at least 2,000 of them, or all if fewer, offer the need that
is ranked: a language course), 50 clients and `--referrals` referrals to the services of
institution `al-inst-1` in mixed states.

Then two measurements, `--requests` calls each after a few warm-up calls:

1. routing: `suggest()` for a random client, each call in its own `tenant_transaction("AL")`
   (what `POST /api/v1/routing/suggestions` does besides reading the client and the need);
2. inbox: `GET /api/v1/referrals` in-process through DRF's APIClient with a real access token of
   `partner.al` from Keycloak (authentication, tenant activation, ATOMIC_REQUESTS, cursor
   pagination, serialization and the partner-read audit entries), half of them the first page,
   half a following page (walking the `next` cursors deeper and deeper).

Targets: routing p99 < 50 ms with 2,000 candidate services; inbox p99 < 50 ms with 10,000
referrals. They are reported, never asserted. `--profile` adds the top functions of a cProfile
of each phase. With `--json` the last line is one JSON object (`routing_p99_ms`, `inbox_p99_ms`,
p50s, counts, seed seconds, and more).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from benchmarks.common import dev_tokens, json_line, percentile
from benchmarks.private_database import private_database
from infra.stack.manager import stack_up

if TYPE_CHECKING:
    from intake.models import Client
    from referrals.models import TaxonomyTerm

TENANT = "AL"
INSTITUTION = "al-inst-1"
PARTNER_USER = "partner.al"
ORGANIZATIONS = 200
CLIENTS = 50
RANKED_SERVICES = 2000  # services offering the ranked need, at least (all, when fewer)
WARM_UP = 10
TARGET_MS = 50.0
TOKEN_REUSE_SECONDS = 240.0  # realm tokens live 300 s
PAGE_SIZE = 50


# --- Figures -----------------------------------------------------------------------------------


@dataclass
class SqlClock:
    """Time spent in the database driver (execute and fetch) on the calling thread."""

    seconds: float = 0.0
    queries: int = 0
    by_statement: dict[str, list[float]] = field(default_factory=dict)

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool,
                 context: dict[str, Any]) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed = time.perf_counter() - started
            self.seconds += elapsed
            self.queries += 1
            times = self.by_statement.setdefault(" ".join(sql.split())[:90], [])
            times.append(elapsed)

    def top(self, calls: int, count: int = 6) -> str:
        """The statements that took the most time, in ms per measured call."""
        ranked = sorted(self.by_statement.items(), key=lambda item: -sum(item[1]))[:count]
        return "\n".join(f"  {1000 * sum(times) / max(calls, 1):7.2f} ms/call  "
                         f"{len(times) / max(calls, 1):4.1f}x  {statement}"
                         for statement, times in ranked)


@dataclass
class Phase:
    """What one measured phase saw."""

    name: str
    latencies_ms: list[float] = field(default_factory=list)
    sql: SqlClock = field(default_factory=SqlClock)
    profile: str = ""

    def p(self, q: float) -> float:
        return percentile(self.latencies_ms, q)

    @property
    def max_ms(self) -> float:
        return max(self.latencies_ms, default=float("nan"))

    def sql_ms_per_call(self) -> float:
        return 1000 * self.sql.seconds / max(len(self.latencies_ms), 1)

    def queries_per_call(self) -> float:
        return self.sql.queries / max(len(self.latencies_ms), 1)

    def describe(self) -> str:
        mean = sum(self.latencies_ms) / max(len(self.latencies_ms), 1)
        sql = (f" of which SQL {self.sql_ms_per_call():.1f} ms ({self.queries_per_call():.0f} "
               f"queries per call)" if self.sql.queries else "")
        return (f"{self.name}: {len(self.latencies_ms)} calls; p50 {self.p(0.50):.1f} ms, "
                f"p95 {self.p(0.95):.1f} ms, p99 {self.p(0.99):.1f} ms, max {self.max_ms:.1f} ms; "
                f"mean {mean:.1f} ms{sql}")


@contextmanager
def _measured(phase: Phase, profile: bool) -> Iterator[None]:
    """Count SQL time on the default connection and, if asked, profile the phase."""
    from django.db import connection

    profiler = cProfile.Profile() if profile else None
    with connection.execute_wrapper(phase.sql):
        if profiler is not None:
            profiler.enable()
        try:
            yield
        finally:
            if profiler is not None:
                profiler.disable()
                out = io.StringIO()
                stats = pstats.Stats(profiler, stream=out)
                stats.sort_stats("cumulative").print_stats(30)
                stats.sort_stats("tottime").print_stats(20)
                phase.profile = out.getvalue()


# --- Seed --------------------------------------------------------------------------------------


@dataclass
class Seeded:
    clients: list[Client]
    need: TaxonomyTerm
    services: int
    ranked_services: int
    referrals: int
    seconds: float


_TARGET_GROUPS: tuple[tuple[str, ...], ...] = (
    (), (), (), (), ("youth",), ("women",), ("unemployed",), ("returnees", "immigrants"),
    ("long_term_unemployed", "unemployed"), ("returnees",))
_LANGUAGES: tuple[tuple[str, ...], ...] = (
    ("sq",), ("sq",), ("sq", "en"), ("sq", "en"), (), ("en",), ("it",), ("de",), ("sq", "it"))
_EDUCATION = ("", "", "", "isced2", "isced3", "isced3", "isced4", "isced5")
_AGES: tuple[tuple[int | None, int | None], ...] = (
    (None, None), (16, None), (18, None), (15, 29), (18, 64), (25, None), (16, 35))
_STATES = (("sent", 25), ("accepted", 20), ("in_progress", 20), ("completed", 25),
           ("declined", 10))


def _service_fields(rnd: random.Random, today: date) -> dict[str, Any]:
    """Eligibility, capacity and waiting list of one service, varied."""
    minimum_age, maximum_age = rnd.choice(_AGES)
    tracked = rnd.random() < 0.85
    total = rnd.randint(8, 40) if tracked else None
    available = (0 if rnd.random() < 0.25 else rnd.randint(1, total)) if total else None
    waiting_open = available == 0 and rnd.random() < 0.6
    return {
        "languages": list(rnd.choice(_LANGUAGES)),
        "target_groups": list(rnd.choice(_TARGET_GROUPS)),
        "minimum_age": minimum_age, "maximum_age": maximum_age,
        "minimum_education": rnd.choice(_EDUCATION),
        "seats_total": total, "seats_available": available,
        "waiting_list_open": waiting_open,
        "waiting_list_length": rnd.randint(1, 60) if waiting_open else 0,
        "next_intake_date": (today + timedelta(days=rnd.randint(-30, 150))
                             if rnd.random() < 0.7 else None),
        "free": rnd.random() < 0.7,
    }


def _seed(services: int, referrals: int, rnd: random.Random) -> Seeded:
    from django.db import connection, connections

    from intake.models import Client
    from intake.names import name_key
    from referrals.geography import MUNICIPALITY_CENTROIDS
    from referrals.models import (
        Location,
        Organization,
        Referral,
        Service,
        ServiceAtLocation,
        TaxonomyTerm,
    )
    from referrals.taxonomy import SKILLS_TERMS, term_id
    from services.tenancy.context import tenant_transaction
    from services.tenancy.routers import OWNER_ALIAS

    started = time.monotonic()
    now = datetime.now(UTC)
    today = now.date()
    municipalities = sorted(code for code in MUNICIPALITY_CENTROIDS if code.startswith("AL-"))
    ranked = uuid.UUID(term_id("skills:language-course"))
    others = [uuid.UUID(term_id(code)) for code, _, _ in SKILLS_TERMS
              if code != "skills:language-course"]
    isco = [uuid.UUID(term_id(f"isco08:{group}")) for group in "123456789"]
    vocational = uuid.UUID(term_id("skills:vocational-training"))
    ranked_count = min(services, RANKED_SERVICES)
    with tenant_transaction(TENANT):
        need = TaxonomyTerm.objects.get(id=ranked)
        organizations = Organization.objects.bulk_create(
            Organization(tenant_id=TENANT, code=f"al-inst-{n + 1}",
                         name=f"Institution {n + 1:03d}", email=f"inst{n + 1}@example.org")
            for n in range(ORGANIZATIONS))
        locations: dict[uuid.UUID, list[Location]] = {}
        for organization in organizations:
            places = []
            for _ in range(rnd.choice((1, 1, 1, 2, 2, 3))):
                municipality = rnd.choice(municipalities)
                lat, lon = MUNICIPALITY_CENTROIDS[municipality]
                virtual = rnd.random() < 0.08
                coordinates = not virtual and rnd.random() < 0.5
                places.append(Location(
                    tenant_id=TENANT, organization=organization, name=f"{organization.name}, "
                    f"{municipality}", location_type="virtual" if virtual else "physical",
                    municipality_code="" if virtual else municipality,
                    latitude=lat + rnd.uniform(-0.05, 0.05) if coordinates else None,
                    longitude=lon + rnd.uniform(-0.05, 0.05) if coordinates else None))
            locations[organization.id] = places
        Location.objects.bulk_create(place for places in locations.values() for place in places)
        made = []
        for n in range(services):
            organization = organizations[n % ORGANIZATIONS]
            terms = [ranked] if n < ranked_count else []
            terms += rnd.sample(others, rnd.choice((0, 0, 1, 1, 2)) if terms else 1)
            if vocational in terms:
                terms.append(rnd.choice(isco))
            made.append(Service(tenant_id=TENANT, organization=organization,
                                name=f"Course {n + 1:05d}", description="Benchmark service.",
                                taxonomy_term_ids=terms, **_service_fields(rnd, today)))
        made = Service.objects.bulk_create(made, batch_size=1000)
        ServiceAtLocation.objects.bulk_create(
            (ServiceAtLocation(tenant_id=TENANT, service=service,
                               location=rnd.choice(locations[service.organization_id]))
             for service in made), batch_size=1000)
        clients = Client.objects.bulk_create(_client(n, rnd, now, municipalities, name_key)
                                             for n in range(CLIENTS))
        inbox = [s for s in made if s.organization_id == organizations[0].id]
        weights = [w for _, w in _STATES]
        rows = []
        for _ in range(referrals):
            service = rnd.choice(inbox)
            state = rnd.choices([s for s, _ in _STATES], weights)[0]
            sent = now - timedelta(seconds=rnd.uniform(600, 365 * 86400))
            answered = (None if state == "sent"
                        else sent + timedelta(hours=rnd.lognormvariate(3.0, 1.0)))
            closed = answered + timedelta(days=rnd.randint(1, 90)) if answered and state in (
                "completed", "declined") else None
            rows.append(Referral(
                tenant_id=TENANT, client=rnd.choice(clients), service=service,
                organization_id=service.organization_id, need_id=service.taxonomy_term_ids[0],
                state=state, languages=["sq"], note_for_partner="Prefers evening classes.",
                sent_at=sent, due_at=sent + timedelta(days=7), answered_at=answered,
                closed_at=closed, outcome="completed" if state == "completed" else "",
                reason="no seats left" if state == "declined" else "",
                created_by_subject="bench-counsellor", created_by_username="counsellor.al"))
        Referral.objects.bulk_create(rows, batch_size=2000)
        # created_at is auto_now_add: spread it as it would be (a referral is sent when made),
        # so the inbox's cursor ordering sees a year of referrals, not one instant.
        with connection.cursor() as cursor:
            cursor.execute("UPDATE referrals_referral SET created_at = sent_at - interval "
                           "'2 minutes', updated_at = coalesce(closed_at, answered_at, sent_at)")
    # Planner statistics as a live database has them (autovacuum would analyze soon anyway).
    with connections[OWNER_ALIAS].cursor() as cursor:
        cursor.execute("ANALYZE")
    connections[OWNER_ALIAS].close()
    return Seeded(clients=clients, need=need, services=len(made), ranked_services=ranked_count,
                  referrals=len(rows), seconds=time.monotonic() - started)


def _client(n: int, rnd: random.Random, now: datetime, municipalities: list[str],
            name_key: Callable[[str], str]) -> Client:
    from intake.models import Client

    given = rnd.choice(("Arta", "Besnik", "Drita", "Elira", "Gent", "Ilir", "Jonida", "Klea"))
    family = rnd.choice(("Hoxha", "Krasniqi", "Shehu", "Dervishi", "Gashi", "Leka", "Marku"))
    sex = "female" if given in ("Arta", "Drita", "Elira", "Jonida", "Klea") else "male"
    born = date(rnd.randint(1962, 2009), rnd.randint(1, 12), rnd.randint(1, 28))
    return Client(
        tenant_id=TENANT, given_name=given, family_name=f"{family}{n}",
        name_key=name_key(f"{given} {family}{n}"), sex=sex, birth_year=born.year,
        birth_date=born, citizenship="AL",
        category=rnd.choices(("national", "returnee", "immigrant"), (7, 2, 1))[0],
        municipality_code=rnd.choice(municipalities), urban=rnd.random() < 0.6,
        education_level=rnd.choice(("isced1", "isced2", "isced3", "isced3", "isced4", "isced6",
                                    "isced7")),
        employment_status=rnd.choices(("unemployed", "employed", "student", "inactive"),
                                      (6, 2, 1, 1))[0],
        migration_intention=rnd.choice(("labour", "study", "undecided", "none")),
        phone=f"+355 69 000 {n:04d}", email=f"client{n}@example.org",
        address="Rruga e Kavajës 7", consent_given_at=now - timedelta(days=400),
        consent_recorded_by="counsellor.al", consent_scope="service_referral",
        created_by="counsellor.al", updated_by="counsellor.al")


# --- Routing -----------------------------------------------------------------------------------


def _routing(seeded: Seeded, requests: int, rnd: random.Random,
             profile: bool) -> tuple[Phase, int, int]:
    """Latencies of suggest(); the candidate count and the eligible count of the last call."""
    from referrals.suggestions import RoutingRequest, suggest
    from services.tenancy.context import tenant_transaction

    today = datetime.now(UTC).date()

    def call() -> tuple[int, int]:
        request = RoutingRequest(client=rnd.choice(seeded.clients), need=seeded.need,
                                 languages=())
        with tenant_transaction(TENANT):
            ranking = suggest(request, today)
        return len(ranking.suggestions) + len(ranking.excluded), len(ranking.suggestions)

    for _ in range(WARM_UP):
        call()
    phase = Phase("routing (suggest)")
    candidates = eligible = 0
    with _measured(phase, profile):
        for _ in range(requests):
            started = time.perf_counter()
            candidates, eligible = call()
            phase.latencies_ms.append((time.perf_counter() - started) * 1000)
    return phase, candidates, eligible


# --- Inbox -------------------------------------------------------------------------------------


class _Token:
    """A real access token of the partner user, renewed before the realm lets it expire."""

    def __init__(self) -> None:
        self._value = ""
        self._fetched = -TOKEN_REUSE_SECONDS

    def __call__(self) -> str:
        if time.monotonic() - self._fetched > TOKEN_REUSE_SECONDS:
            self._value = str(dev_tokens(PARTNER_USER)["access_token"])
            self._fetched = time.monotonic()
        return self._value


def _relative(url: str) -> str:
    """The path and query of a `next` link (the test client is given paths)."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def _inbox(requests: int, profile: bool) -> tuple[Phase, Phase, Phase]:
    from rest_framework.test import APIClient

    token = _Token()
    # ALLOWED_HOSTS of the dev settings has no "testserver", so the client names localhost.
    client = APIClient(SERVER_NAME="localhost")
    first_page = "/api/v1/referrals"

    def get(path: str) -> dict[str, Any]:
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"GET {path} answered {response.status_code}: "
                             f"{response.content[:500]!r}")
        body: dict[str, Any] = response.json()
        if len(body["results"]) != PAGE_SIZE and (body.get("next") or path == first_page):
            raise SystemExit(f"GET {path} returned {len(body['results'])} referrals, "
                             f"expected {PAGE_SIZE}")
        return body

    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token()}")
    start = get(first_page)
    if not start.get("next"):
        raise SystemExit("the inbox has a single page; expected thousands of referrals")
    for _ in range(WARM_UP):
        get(first_page)
    phase, firsts, following = Phase("inbox (all)"), Phase("inbox first page"), Phase(
        "inbox following page")
    cursor = _relative(str(start["next"]))
    with _measured(phase, profile):
        for n in range(requests):
            is_first = n % 2 == 0
            path = first_page if is_first else cursor
            # Renewed (outside the timing) before the realm's 300 s lifetime runs out.
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {token()}")
            started = time.perf_counter()
            body = get(path)
            elapsed = (time.perf_counter() - started) * 1000
            phase.latencies_ms.append(elapsed)
            (firsts if is_first else following).latencies_ms.append(elapsed)
            if not is_first:
                following_next = body.get("next")
                cursor = _relative(str(following_next if following_next else start["next"]))
    return phase, firsts, following


# --- Main --------------------------------------------------------------------------------------


def _met(value: float) -> str:
    return "met" if value < TARGET_MS else "MISSED"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="msc bench routing", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", type=int, default=2000,
                        help="services in the directory (default 2000)")
    parser.add_argument("--referrals", type=int, default=10_000,
                        help="referrals in the inbox of al-inst-1 (default 10000)")
    parser.add_argument("--requests", type=int, default=300,
                        help="measured calls of each phase (default 300)")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the data and calls")
    parser.add_argument("--profile", action="store_true",
                        help="print the top functions of a cProfile of each phase")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.services < 1 or args.requests < 2 or args.referrals < 2 * PAGE_SIZE:
        parser.error(f"need --services >= 1, --requests >= 2, --referrals >= {2 * PAGE_SIZE}")
    stack_up()
    rnd = random.Random(args.seed)
    load = os.getloadavg()[0]
    print(f"load average {load:.2f} on {os.cpu_count()} CPUs before the run (other work on the "
          f"machine inflates the latencies)")
    with private_database():
        seeded = _seed(args.services, args.referrals, rnd)
        print(f"seeded tenant {TENANT} in {seeded.seconds:.1f}s: {ORGANIZATIONS} institutions, "
              f"{seeded.services} services ({seeded.ranked_services} offer the ranked need), "
              f"{CLIENTS} clients, {seeded.referrals} referrals to {INSTITUTION}")
        routing, candidates, eligible = _routing(seeded, args.requests, rnd, args.profile)
        print(f"{routing.describe()}; {candidates} candidates ranked ({eligible} eligible "
              f"in the last call)")
        inbox, firsts, following = _inbox(args.requests, args.profile)
        print(inbox.describe())
        print(f"  {firsts.describe()}")
        print(f"  {following.describe()}")
    if args.profile:
        for phase in (routing, inbox):
            print(f"--- SQL of {phase.name}, by statement ---\n"
                  f"{phase.sql.top(len(phase.latencies_ms))}")
            print(f"--- profile of {phase.name} ---\n{phase.profile}")
    print(f"target routing p99 < {TARGET_MS:.0f} ms over {candidates} candidates: "
          f"{routing.p(0.99):.1f} ms, {_met(routing.p(0.99))}")
    print(f"target inbox p99 < {TARGET_MS:.0f} ms with {seeded.referrals} referrals: "
          f"{inbox.p(0.99):.1f} ms, {_met(inbox.p(0.99))}")
    if args.json:
        figures: dict[str, object] = {
            f"{name}_{key}_ms": round(value, 2)
            for name, phase in (("routing", routing), ("inbox", inbox))
            for key, value in (("p50", phase.p(0.50)), ("p95", phase.p(0.95)),
                               ("p99", phase.p(0.99)), ("max", phase.max_ms),
                               ("sql_per_call", phase.sql_ms_per_call()))}
        figures.update({
            "routing_candidates": candidates, "routing_requests": len(routing.latencies_ms),
            "routing_target_met": routing.p(0.99) < TARGET_MS,
            "inbox_first_page_p99_ms": round(firsts.p(0.99), 2),
            "inbox_following_page_p99_ms": round(following.p(0.99), 2),
            "inbox_requests": len(inbox.latencies_ms),
            "inbox_target_met": inbox.p(0.99) < TARGET_MS,
            "services": seeded.services, "ranked_services": seeded.ranked_services,
            "referrals": seeded.referrals, "clients": CLIENTS, "organizations": ORGANIZATIONS,
            "seed_seconds": round(seeded.seconds, 2), "load_average": round(load, 2)})
        print(json_line(figures))
    return 0
