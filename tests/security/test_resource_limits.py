"""Resource limits: no caller can make the API read, send or compute without bound.

- A body over the limit is refused with 413 in the error format and changes nothing, on every
  operation that takes one (the JSON ones at Django's DATA_UPLOAD_MAX_MEMORY_SIZE, the directory
  import at its own 20 MB).
- A page size beyond the maximum, on every list of the schema that takes one, gets at most the
  maximum or 400, the same answer wherever the parameter appears, never 5xx.
- Bursts beyond a user's rates are 429 with Retry-After, for that caller only, until the window
  ends; calls without a token are counted per address, which X-Forwarded-For cannot change.
- Pathological statistics queries (the longest period for the whole region, dates at the ends of
  the calendar, thousands of parameters) answer 200, 4xx or 503, never another 5xx, and return
  before gunicorn would kill the worker.
- Every statement of the API's database role has a time limit; one that passes it answers 503
  and the next request passes.

Everything runs in-process against the real PostgreSQL, ClickHouse and Keycloak; the world is
rolled back after the module, so nothing is committed.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.test import Client as DjangoClient

from intake.models import Centre
from services.api.pagination import MAX_PAGE_SIZE
from services.api.throttling import WindowRateThrottle
from services.serve import WORKER_TIMEOUT_SECONDS
from services.tenancy.context import tenant_transaction
from tests.integration.keycloak_helpers import as_user
from tests.security.surface import (
    HOSTILE,
    WRITES,
    World,
    acceptance,
    call,
    callers_allowed,
    current_state,
    openapi_schema,
    operations,
    rolled_back,
    snapshot,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

IMPORT = "/api/v1/directory/import"
PACKAGE_LIMIT = 20 * 1024 * 1024  # bytes; what the import says it reads at most




def assert_error(response: Any, status: int) -> dict[str, Any]:
    """`response` is `status` in the platform's error format; its `error` object."""
    assert response.status_code == status, (status, response.content[:300])
    error: dict[str, Any] = response.json()["error"]
    assert error["status"] == status
    assert isinstance(error["code"], str)
    assert isinstance(error["message"], str)
    return error


# --- Bodies ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("method", "path"), sorted(WRITES),
                         ids=[f"{m.upper()} {p}" for m, p in sorted(WRITES)])
def test_a_json_body_over_the_limit_is_413_and_changes_nothing(method: str, path: str,
                                                               world: World) -> None:
    """At Django's own limit (tests/services/test_api_errors.py lowers it for one operation)."""
    write = WRITES[(method, path)]
    current, if_match = current_state(write, world)
    body = {**write.body(world, current), "padding": "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE}
    before = snapshot()
    response = call(write.caller, method, path, world, body, if_match)
    HOSTILE.count(let_through=acceptance(response))
    error = assert_error(response, 413)
    assert error["code"] == "payload_too_large"
    assert str(settings.DATA_UPLOAD_MAX_MEMORY_SIZE) in error["message"]
    assert snapshot() == before


def test_a_directory_package_over_its_limit_is_413_and_imports_nothing(world: World) -> None:
    before = snapshot()
    package = '{"organizations": [], "padding": "' + "x" * PACKAGE_LIMIT + '"}'
    response = as_user("admin.al").generic("POST", IMPORT, package,
                                           content_type="application/json")
    HOSTILE.count(let_through=acceptance(response))
    error = assert_error(response, 413)
    assert error == {"status": 413, "code": "payload_too_large",
                     "message": f"the request body may be at most {PACKAGE_LIMIT} bytes"}
    assert snapshot() == before


# --- Page sizes ------------------------------------------------------------------------------

PAGE_SIZE_PARAMETERS = ("page_size", "per_page", "limit")
# Beyond the maximum, far beyond it, and beyond any integer a database column holds.
BEYOND = (MAX_PAGE_SIZE + 1, 1_000_000, 2**63, 10**40)
# What a client may send instead of a number: never a 5xx either.
ODD = ("0", "-1", "1e3", "12.5", "two", "")


@dataclass(frozen=True)
class PagedList:
    path: str
    parameter: str
    maximum: int | None  # what the schema documents, if it does


def paged_lists() -> list[PagedList]:
    """Every list operation of the schema that takes a page size."""
    found = []
    for method, path in operations():
        if method != "get":
            continue
        for parameter in openapi_schema()["paths"][path][method].get("parameters", []):
            if parameter["in"] == "query" and parameter["name"] in PAGE_SIZE_PARAMETERS:
                found.append(PagedList(path, parameter["name"],
                                       parameter["schema"].get("maximum")))
    return found


def _records(answer: dict[str, Any]) -> list[Any]:
    """The records of one page: DRF's cursor pages have `results`, HSDS pages `contents`."""
    records: list[Any] = answer["results"] if "results" in answer else answer["contents"]
    return records


def test_a_page_size_beyond_the_maximum_is_clamped_or_refused_alike_everywhere(
        world: World) -> None:
    answers: dict[str, set[int]] = {}
    lists = paged_lists()
    assert len(lists) >= 10
    for paged in lists:
        if paged.parameter == "page_size":
            assert paged.maximum == MAX_PAGE_SIZE, paged
        caller = callers_allowed("get", paged.path)[0]
        url = paged.path.format(**world.ids)
        for value in (*BEYOND, *ODD):
            response = as_user(caller).get(url, {paged.parameter: str(value)})
            # Clamped is as good as refused; more records than the maximum got through.
            HOSTILE.count(let_through=acceptance(response)
                          and len(_records(response.json())) > MAX_PAGE_SIZE)
            where = f"{url}?{paged.parameter}={value}: {response.status_code}"
            assert response.status_code in (200, 400), f"{where} {response.content[:300]!r}"
            if response.status_code == 400:
                assert paged.parameter in assert_error(response, 400).get("fields", {}), where
            else:
                assert len(_records(response.json())) <= MAX_PAGE_SIZE, where
            if value in BEYOND:
                answers.setdefault(paged.parameter, set()).add(response.status_code)
            elif paged.maximum is not None:  # documented: the server takes the default
                assert response.status_code == 200, where
    # One rule per parameter across the API: `page_size` gets the maximum, the HSDS
    # directory's `per_page` (whose schema does not state its maximum) is refused beyond it.
    assert answers == {"page_size": {200}, "per_page": {400}}


def test_a_page_size_beyond_the_maximum_gets_pages_of_the_maximum(world: World) -> None:
    extra = MAX_PAGE_SIZE + 5
    with rolled_back():
        with tenant_transaction("AL"):
            Centre.objects.bulk_create(
                Centre(tenant_id="AL", name=f"Centre {n:03}", municipality_code="AL-11")
                for n in range(extra))
        first = as_user("admin.al").get("/api/v1/centres", {"page_size": str(2**63)})
        assert first.status_code == 200, first.content[:300]
        page = first.json()
        assert len(page["results"]) == MAX_PAGE_SIZE
        following = as_user("admin.al").get(page["next"])
        assert len(following.json()["results"]) == extra + 1 - MAX_PAGE_SIZE  # and the world's


# --- Request rates ---------------------------------------------------------------------------

WINDOW = 1_800_000_000  # a moment that starts a minute, an hour and a day


class Clock:
    """The throttles' clock, moved by the test instead of waiting for windows to end."""

    def __init__(self) -> None:
        self.now = WINDOW + 15.2

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    moved = Clock()
    monkeypatch.setattr(WindowRateThrottle, "timer", staticmethod(moved))
    return moved


@pytest.fixture
def rates(settings: Any, tmp_path: Path) -> Callable[..., None]:
    """Sets the rates for the test (the others: none), with counts of the test's own."""
    settings.THROTTLE_DIR = tmp_path

    def set_rates(**rates: str) -> None:
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"user_burst": None, "user_sustained": None, "anon": None,
                                       **rates}}

    return set_rates


def throttled(response: Any, retry_after: int) -> None:
    """`response` is the 429 of a throttle whose window ends in `retry_after` seconds."""
    HOSTILE.count(let_through=acceptance(response))
    assert assert_error(response, 429) == {
        "status": 429, "code": "throttled",
        "message": f"Request was throttled. Expected available in {retry_after} second"
                   f"{'' if retry_after == 1 else 's'}."}
    assert response["Retry-After"] == str(retry_after)


def test_a_burst_beyond_a_users_rate_is_429_until_the_window_ends(
        rates: Callable[..., None], clock: Clock) -> None:
    rates(user_burst="3/minute")
    counsellor = as_user("counsellor.al")
    for _ in range(3):
        assert counsellor.get("/api/v1/me").status_code == 200
    throttled(counsellor.get("/api/v1/me"), retry_after=45)  # the minute ends at :60, now :15.2
    before = snapshot()
    throttled(counsellor.post("/api/v1/clients", {"given_name": "Ana"}, format="json"), 45)
    assert snapshot() == before
    # Another user has rates of their own.
    assert as_user("admin.al").get("/api/v1/me").status_code == 200
    clock.now = WINDOW + 59.5
    throttled(counsellor.get("/api/v1/me"), retry_after=1)
    clock.now = WINDOW + 60.0  # the next minute
    assert counsellor.get("/api/v1/me").status_code == 200


def test_the_sustained_rate_holds_across_bursts(rates: Callable[..., None], clock: Clock) -> None:
    rates(user_burst="3/minute", user_sustained="5/hour")
    monitor = as_user("regional.monitor")
    for minute in range(2):
        clock.now = WINDOW + 60 * minute + 10
        assert [monitor.get("/api/v1/me").status_code for _ in range(3)] == (
            [200, 200, 200] if minute == 0 else [200, 200, 429])
    throttled(monitor.get("/api/v1/me"), retry_after=3600 - 70)
    clock.now = WINDOW + 3600
    assert monitor.get("/api/v1/me").status_code == 200


def test_calls_without_a_token_are_counted_per_address(rates: Callable[..., None],
                                                       clock: Clock) -> None:
    """The schema is the one operation open to everyone. (It answers in YAML unless asked for
    JSON, its errors too.)"""
    rates(anon="1/minute", user_burst="100/minute")
    assert DjangoClient(REMOTE_ADDR="198.51.100.7").get("/api/v1/schema").status_code == 200
    spoofed = DjangoClient(REMOTE_ADDR="198.51.100.7", HTTP_ACCEPT="application/json",
                           HTTP_X_FORWARDED_FOR=f"203.0.113.{uuid.uuid4().int % 250}")
    throttled(spoofed.get("/api/v1/schema"), retry_after=45)
    # Another address, and a caller with a token, are not that address.
    assert DjangoClient(REMOTE_ADDR="198.51.100.8").get("/api/v1/schema").status_code == 200
    assert as_user("partner.al").get("/api/v1/schema").status_code == 200


# --- Statistics ------------------------------------------------------------------------------

MONITOR, STAFF = "regional.monitor", "admin.al"
MANY = {f"p{n}": "x" for n in range(900)}
STATISTICS_QUERIES: dict[str, tuple[str, dict[str, str], set[int]]] = {
    # name: (caller, query, the answers it may get besides 503)
    "the longest period, the whole region": (
        MONITOR, {"from": "2021-01-01", "to": "2025-12-31"}, {200}),
    "the longest period, every tenant named": (
        MONITOR, {"from": "2021-01-01", "to": "2025-12-31", "tenant": "RS"}, {200}),
    "the longest period, a tenant's staff": (
        STAFF, {"from": "2021-01-03", "to": "2026-01-02"}, {200}),
    "a month longer than the longest period": (
        MONITOR, {"from": "2020-12-01", "to": "2025-12-31"}, {400}),
    "the first days of the calendar": (STAFF, {"from": "0001-01-01", "to": "0001-12-31"}, {200}),
    "the last days of the calendar": (MONITOR, {"from": "9999-12-01", "to": "9999-12-31"}, {200}),
    "before 1970": (MONITOR, {"from": "1969-01-01", "to": "1970-12-31"}, {200}),
    "after 2105": (STAFF, {"from": "2149-06-01", "to": "2149-06-30"}, {200}),
    "the whole calendar": (MONITOR, {"from": "0001-01-01", "to": "9999-12-31"}, {400}),
    "a five-digit year": (STAFF, {"from": "10000-01-01", "to": "10000-01-31"}, {400}),
    "900 unknown parameters": (MONITOR, {"from": "2026-01-01", "to": "2026-01-31", **MANY},
                               {400}),
    "more parameters than the API reads": (
        MONITOR, {"from": "2026-01-01", "to": "2026-01-31",
                  **{f"q{n}": "x" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS)}},
        {400}),
    "a 100 kB centre id": (MONITOR, {"from": "2026-01-01", "to": "2026-01-31",
                                     "centre_id": "f" * 100_000}, {400}),
}


@pytest.mark.parametrize("name", sorted(STATISTICS_QUERIES))
def test_pathological_statistics_queries_are_answered_in_bounded_time(
        name: str, statistics_store: None) -> None:
    caller, query, expected = STATISTICS_QUERIES[name]
    started = time.monotonic()
    response = as_user(caller).get("/api/v1/stats/summary", query)
    elapsed = time.monotonic() - started
    HOSTILE.count(let_through=acceptance(response) and 200 not in expected)
    assert response.status_code in expected | {503}, (name, response.content[:300])
    if response.status_code >= 400:
        assert_error(response, response.status_code)
    assert elapsed < WORKER_TIMEOUT_SECONDS / 2, f"{name}: {elapsed:.1f} s"


# --- PostgreSQL's statement timeout ----------------------------------------------------------

def test_the_api_role_has_a_statement_timeout() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT setting, unit FROM pg_settings WHERE name = 'statement_timeout'")
        assert cursor.fetchone() == (str(settings.PG_STATEMENT_TIMEOUT_MS), "ms")
    assert 0 < settings.PG_STATEMENT_TIMEOUT_MS <= WORKER_TIMEOUT_SECONDS * 1000 / 2


def _idempotency_lock(tenant: str, subject: str, key: str) -> int:
    """The advisory lock `services.api.idempotency` takes for a key."""
    digest = hashlib.sha256(f"{tenant}\0{subject}\0{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def test_a_statement_past_the_timeout_is_503_and_the_next_request_passes(world: World) -> None:
    """A centre is posted while another session holds the lock of its Idempotency-Key: the
    statement waits until PostgreSQL cancels it (the timeout is shortened for the test)."""
    admin = as_user("admin.al")
    subject = admin.get("/api/v1/me").json()["subject"]
    key = f"resource-limits-{uuid.uuid4()}"
    body = {"name": "Shkodër MSC", "municipality_code": "AL-33", "kind": "msc"}
    conf = settings.DATABASES["default"]
    other = psycopg.connect(dbname=str(conf["NAME"]), user=str(conf["USER"]),
                            password=str(conf["PASSWORD"]), host=str(conf["HOST"]),
                            port=str(conf["PORT"]), autocommit=True)
    with other:
        other.execute("SELECT pg_advisory_lock(%s)", [_idempotency_lock("AL", subject, key)])
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = 300")
        started = time.monotonic()
        cancelled = admin.post("/api/v1/centres", body, format="json",
                               HTTP_IDEMPOTENCY_KEY=key)
        assert time.monotonic() - started < 10
        error = assert_error(cancelled, 503)
        assert error["message"] == "the database took too long to answer; retry later"
        assert cancelled["Retry-After"]
    created = admin.post("/api/v1/centres", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert created.status_code == 201, created.content[:300]
