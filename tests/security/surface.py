"""The API surface the hostile-input tests walk: the OpenAPI schema as the application generates
it, callers with real Keycloak tokens, and a small world of AL records to aim at.

The world is built once per test module inside a transaction that is rolled back afterwards, so
nothing is committed and each test (its own savepoint, pytest-django) starts from the same world.

`HOSTILE` counts the hostile requests the suites send where a refusal is required, and those
answered with an acceptance instead; the run prints both at its end (`conftest.py`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import yaml
from django.apps import apps
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from drf_spectacular.generators import SchemaGenerator

from intake.models import Visit
from referrals.models import Notification
from services.tenancy.context import tenant_transaction
from tests.integration.keycloak_helpers import access_token, as_user
from tests.integration.test_access_matrix import ACCESS
from tests.referral_world import LANGUAGE_COURSE, make_world, refer

# The callers: a counsellor, a partner (institution al-inst-1), a tenant admin (who also holds
# the counsellor and manager roles) and the regional office, which has no tenant.
CALLERS: dict[str, frozenset[str]] = {
    "counsellor.al": frozenset({"counsellor"}),
    "partner.al": frozenset({"partner"}),
    "admin.al": frozenset({"counsellor", "centre_manager", "tenant_admin"}),
    "regional.monitor": frozenset({"regional_monitor"}),
}
WRITE_METHODS = ("post", "put", "patch")


@dataclass
class HostileTally:
    """Hostile requests sent this session, and how many of them were let through."""

    tried: int = 0
    let_through: int = 0

    def count(self, *, let_through: bool) -> None:
        """One hostile request answered; call it before asserting on the answer, so that a
        request let through is counted even though the test then fails."""
        self.tried += 1
        self.let_through += let_through


HOSTILE = HostileTally()


def acceptance(response: Any) -> bool:
    """Whether the answer is an acceptance (2xx): a hostile request so answered got through."""
    status: int = response.status_code
    return 200 <= status < 300


@lru_cache(maxsize=1)
def openapi_schema() -> dict[str, Any]:
    """The schema `/api/v1/schema` serves, as plain JSON-compatible data."""
    generator = SchemaGenerator()  # type: ignore[no-untyped-call]
    schema = generator.get_schema(request=None, public=True)  # type: ignore[no-untyped-call]
    plain: dict[str, Any] = yaml.safe_load(yaml.safe_dump(schema))
    return plain


def operations() -> list[tuple[str, str]]:
    """Every (method, path template) of the schema, sorted."""
    return sorted((method, path) for path, ops in openapi_schema()["paths"].items()
                  for method in ops)


def callers_allowed(method: str, path: str) -> list[str]:
    """The callers of CALLERS that the access matrix lets call the operation."""
    roles = ACCESS[(method, path)]
    return [name for name, held in CALLERS.items() if held & roles]


def resolve(node: Any) -> Any:
    """`node` with its top-level `$ref` followed (one level is all the schema uses)."""
    if isinstance(node, dict) and "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return openapi_schema()["components"]["schemas"][name]
    return node


def properties(node: Any) -> dict[str, Any]:
    """The declared properties of an object schema (empty for a free-form one)."""
    found: dict[str, Any] = resolve(node).get("properties", {}) if node else {}
    return found


_TOKENS: dict[str, tuple[str, float]] = {}
TOKEN_REUSE_SECONDS = 240.0  # the realm's tokens live 300 s


def bearer(username: str) -> str:
    """`Bearer <token>` of a real, unexpired access token of `username`."""
    cached = _TOKENS.get(username)
    if cached is None or time.monotonic() - cached[1] > TOKEN_REUSE_SECONDS:
        _TOKENS[username] = cached = (access_token(username), time.monotonic())
    return f"Bearer {cached[0]}"


@contextmanager
def connection_kept_open() -> Iterator[None]:
    """Let requests through the raw WSGI handler run inside the test's transaction.

    Django's handler closes "old" connections when a request starts and ends; inside a test's
    transaction that would drop it. Django's own test client disconnects the same receivers.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@contextmanager
def statistics_database() -> Iterator[None]:
    """This run's ClickHouse database (for `/stats/summary`), migrated; dropped afterwards."""
    from analytics_stream.clickhouse.migrate import apply_migrations, drop_database
    from services.conf import clickhouse_settings
    from tests.conftest import require_component

    require_component("clickhouse")
    database = clickhouse_settings()["DATABASE"]
    apply_migrations(database)
    try:
        yield
    finally:
        drop_database(database)


@contextmanager
def rolled_back() -> Iterator[None]:
    """A savepoint undone at the end: whatever happens inside never reaches the next case."""
    with transaction.atomic():
        try:
            yield
        finally:
            transaction.set_rollback(True)


# The seeded client's personal data: none of it may reach a regional monitor.
PERSONAL_VALUES = ("Arta", "Hoxha", "+355 69 000 0001", "arta@example.org",
                   "Rruga e Kavaj", "1985-03-02")


@dataclass(frozen=True)
class World:
    """Ids of AL records by the names the schema gives them (`referral_id` is a sent referral),
    and the institution that partner.al is not (al-inst-2)."""

    ids: dict[str, str]
    referral_sent: str
    referral_accepted: str
    other_institution: str


def build_world() -> World:
    """A centre, a client with a visit, two referrals to al-inst-1 (one sent, one accepted, which
    notified the counsellor) and the partner's webhook."""
    world = make_world("AL")
    centre = as_user("admin.al").post("/api/v1/centres", {
        "name": "Tirana MSC", "municipality_code": "AL-11", "kind": "msc"}, format="json")
    assert centre.status_code == 201, centre.content
    visit = as_user("counsellor.al").post("/api/v1/visits", {
        "client_id": world.client_id, "centre_id": centre.json()["id"],
        "occurred_at": "2026-11-02T10:00:00Z", "channel": "in_person",
        "services": ["information"]}, format="json")
    assert visit.status_code == 201, visit.content
    sent = refer(world)["id"]
    accepted = refer(world, note_for_partner="Second course.")["id"]
    answer = as_user("partner.al").post(f"/api/v1/referrals/{accepted}/accept", {},
                                        format="json")
    assert answer.status_code == 200, answer.content
    hook = as_user("partner.al").post("/api/v1/webhooks", {"url": "http://127.0.0.1:9/hook"},
                                      format="json")
    assert hook.status_code == 201, hook.content
    with tenant_transaction("AL"):
        notification = Notification.objects.get(referral_id=accepted)
        assert Visit.objects.filter(client_id=world.client_id).count() == 1
    return World(
        ids={"centre_id": centre.json()["id"], "client_id": world.client_id,
             "visit_id": visit.json()["id"], "referral_id": sent,
             "service_id": world.services["near"],
             "organization_id": world.organizations["first"], "webhook_id": hook.json()["id"],
             "notification_id": str(notification.id), "action": "accept",
             "need_id": LANGUAGE_COURSE, "far_service_id": world.services["far"]},
        referral_sent=sent, referral_accepted=accepted,
        other_institution=world.organizations["second"])


# A client to register (the world's is Arta Hoxha, PERSONAL_VALUES).
CLIENT = {
    "given_name": "Besa", "family_name": "Krasniqi", "sex": "female", "birth_year": 1990,
    "citizenship": "AL", "category": "returnee", "municipality_code": "AL-11", "urban": True,
    "education_level": "isced3", "employment_status": "unemployed",
    "migration_intention": "labour", "confirm_new": True,
    "consent": {"given_at": "2026-11-01T08:00:00Z", "scope": "service"},
    "stays": [{"country": "DE", "purpose": "work", "year_from": 2015, "year_to": 2019}],
}


@dataclass(frozen=True)
class Write:
    """How to call a writable operation validly: who, a valid body, where its ETag is read."""

    caller: str
    body: Callable[[World, dict[str, Any]], dict[str, Any]]
    etag_from: str | None = None  # the record's URL (template) for If-Match


# A valid call of every operation that takes a JSON body: the hostile tests start from these.
WRITES: dict[tuple[str, str], Write] = {
    ("post", "/api/v1/centres"): Write(
        "admin.al", lambda w, _: {"name": "Durrës MSC", "municipality_code": "AL-02",
                                  "kind": "msc"}),
    ("patch", "/api/v1/centres/{centre_id}"): Write(
        "admin.al", lambda w, _: {"name": "Tirana MSC (main)"},
        etag_from="/api/v1/centres/{centre_id}"),
    ("post", "/api/v1/clients"): Write("counsellor.al", lambda w, _: dict(CLIENT)),
    ("patch", "/api/v1/clients/{client_id}"): Write(
        "counsellor.al", lambda w, _: {
            "phone": "+355 69 000 0009",
            "stays": [{"country": "IT", "purpose": "study", "year_from": 2010}]},
        etag_from="/api/v1/clients/{client_id}"),
    ("post", "/api/v1/visits"): Write(
        "counsellor.al", lambda w, _: {
            "client_id": w.ids["client_id"], "centre_id": w.ids["centre_id"],
            "occurred_at": "2026-11-03T09:00:00Z", "channel": "phone",
            "services": ["counselling"]}),
    ("patch", "/api/v1/visits/{visit_id}"): Write(
        "counsellor.al", lambda w, _: {"note": "Called back about the course."},
        etag_from="/api/v1/visits/{visit_id}"),
    ("post", "/api/v1/group-sessions"): Write(
        "admin.al", lambda w, _: {
            "centre_id": w.ids["centre_id"], "topic": "Working in Germany",
            "held_at": "2026-11-04T10:00:00Z", "attendee_ids": [w.ids["client_id"]]}),
    ("post", "/api/v1/sync"): Write(
        "counsellor.al", lambda w, _: {"items": [
            {"kind": "client", "key": "device-1", "data": {**CLIENT, "given_name": "Dea"}}]}),
    ("patch", "/api/v1/directory/services/{service_id}"): Write(
        "admin.al", lambda w, _: {"seats_available": 5},
        etag_from="/api/v1/directory/services/{service_id}"),
    ("put", "/api/v1/routing/settings"): Write(
        "admin.al", lambda w, current: current, etag_from="/api/v1/routing/settings"),
    ("post", "/api/v1/routing/suggestions"): Write(
        "counsellor.al", lambda w, _: {"client_id": w.ids["client_id"],
                                       "need_id": LANGUAGE_COURSE}),
    ("post", "/api/v1/referrals"): Write(
        "counsellor.al", lambda w, _: {"client_id": w.ids["client_id"],
                                       "service_id": w.ids["far_service_id"],
                                       "need_id": LANGUAGE_COURSE}),
    ("post", "/api/v1/referrals/{referral_id}/{action}"): Write(
        "partner.al", lambda w, _: {"reason": "Starts in January."}),
    ("post", "/api/v1/webhooks"): Write(
        "partner.al", lambda w, _: {"url": "http://127.0.0.1:9/other-hook"}),
}


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row AL can see in the platform's tables: equal before and after means unchanged."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    with tenant_transaction("AL"):
        for label in ("intake", "referrals", "api", "outbox"):
            for model in apps.get_app_config(label).get_models():
                rows[model._meta.db_table] = list(
                    model._base_manager.order_by("pk").values_list())
    return rows


def call(caller: str, method: str, path: str, world: World, body: Any = None,
         if_match: str | None = None) -> Any:
    """`method` on the operation `path`, aimed at the world's records, as `caller`: the test
    client's response."""
    extra = {"HTTP_IF_MATCH": if_match} if if_match else {}
    return getattr(as_user(caller), method)(path.format(**world.ids), body, format="json",
                                            **extra)


def current_state(write: Write, world: World) -> tuple[dict[str, Any], str | None]:
    """The record a write changes, as its caller reads it, and its ETag for If-Match; nothing
    for a write that creates."""
    if not write.etag_from:
        return {}, None
    read = call(write.caller, "get", write.etag_from, world)
    assert read.status_code == 200, read.content
    return read.json(), read["ETag"]
