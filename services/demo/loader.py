"""Load a demo plan through the platform's public API, as its users would enter it.

Per tenant: centres (`POST /centres` as `manager.<cc>`, reusing a centre of the same name),
then clients and visits (`POST /sync` as `counsellor.<cc>`, at most 1,000 items a batch, clients
first; a visit names its client by the planned client's key), then group sessions
(`POST /group-sessions` as `manager.<cc>` with the session's key as `Idempotency-Key`).

Every step is idempotent: a centre is found by name, a synced key answers `duplicate`, and a
session's key replays the first answer. Loading a plan twice therefore creates nothing twice,
and a load cut off half-way can simply be run again.

The loader talks to a `Transport`: `HttpTransport` over loopback with Keycloak tokens (what
`msc demo-data` uses), or `InProcessTransport` over DRF's test client (what the tests use).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from services.demo.calibrated import (
    DemoPlan,
    PlannedCentre,
    PlannedClient,
    PlannedSession,
    PlannedVisit,
    ScaledPlan,
)

BATCH_SIZE = 1000  # the most `POST /sync` takes in one request
CENTRE_PAGE = 200  # the most a list answers in one page
DEV_CLIENT = "msc-cli-dev"
DEV_PASSWORD = "msc-dev-password"  # noqa: S105 - the documented password of the dev realm's users
TOKEN_MAX_AGE = 240.0  # seconds; the realm's access tokens live 300
SHOWN_PROBLEMS = 5
PROGRESS_EVERY = 20  # batches between progress lines of a scaled plan

Printer = Callable[[str], None]


class LoadError(Exception):
    """The API refused something, or answered what a demo plan must never get."""


@dataclass(frozen=True, slots=True)
class ApiResponse:
    status: int
    body: Any
    headers: Mapping[str, str] = field(default_factory=dict)  # names in lower case


class Transport(Protocol):
    """One API request as `username`; `path` is below `/api/v1`, e.g. `/centres?page_size=9`."""

    def request(self, method: str, path: str, *, username: str, body: Any = None,
                headers: Mapping[str, str] | None = None) -> ApiResponse: ...


# --- Tokens and transports -------------------------------------------------------------------

class KeycloakTokens:
    """Access tokens by password grant, one per user, fetched again once `max_age` old."""

    def __init__(self, *, realm_url: str | None = None, client_id: str = DEV_CLIENT,
                 password: str = DEV_PASSWORD, max_age: float = TOKEN_MAX_AGE) -> None:
        if realm_url is None:
            from infra.stack.config import load_config

            realm_url = f"{load_config().keycloak_url}/realms/msc"
        self.url = f"{realm_url}/protocol/openid-connect/token"
        self.client_id, self.password, self.max_age = client_id, password, max_age
        self._tokens: dict[str, tuple[float, str]] = {}

    def token(self, username: str, *, fresh: bool = False) -> str:
        cached = self._tokens.get(username)
        if cached is not None and not fresh and time.monotonic() - cached[0] < self.max_age:
            return cached[1]
        form = urllib.parse.urlencode({
            "grant_type": "password", "client_id": self.client_id, "username": username,
            "password": self.password, "scope": "openid"}).encode()
        request = urllib.request.Request(self.url, data=form, method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
                token = str(json.loads(response.read())["access_token"])
        except urllib.error.HTTPError as refused:
            raise LoadError(f"Keycloak refused a token for {username}: HTTP {refused.code} "
                            f"{refused.read()[:200]!r}") from refused
        except OSError as unreachable:
            raise LoadError(f"Keycloak is not reachable at {self.url}: {unreachable}") \
                from unreachable
        self._tokens[username] = (time.monotonic(), token)
        return token


def _decode(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")


class HttpTransport:
    """JSON over HTTP (urllib) to `base_url` (`http://host:port/api/v1`), a bearer token each."""

    def __init__(self, base_url: str, tokens: KeycloakTokens, *, timeout: float = 120.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.tokens = tokens
        self.timeout = timeout

    @classmethod
    def local(cls) -> HttpTransport:
        """The API of this machine (`MSC_HOST`:`MSC_API_PORT`) with dev-realm tokens."""
        from infra.stack.config import load_config

        cfg = load_config()
        return cls(f"http://{cfg.host}:{cfg.api_port}/api/v1", KeycloakTokens())

    def request(self, method: str, path: str, *, username: str, body: Any = None,
                headers: Mapping[str, str] | None = None) -> ApiResponse:
        answer = self._send(method, path, username, body, headers, fresh=False)
        if answer.status == 401:  # a token revoked or expired early: one more try, fresh
            answer = self._send(method, path, username, body, headers, fresh=True)
        return answer

    def _send(self, method: str, path: str, username: str, body: Any,
              headers: Mapping[str, str] | None, *, fresh: bool) -> ApiResponse:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 - a URL of our own configuration
            f"{self.base_url}{path}", data=data, method=method)
        request.add_header("Authorization",
                           f"Bearer {self.tokens.token(username, fresh=fresh)}")
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return ApiResponse(response.status, _decode(response.read()),
                                   {k.lower(): v for k, v in response.headers.items()})
        except urllib.error.HTTPError as error:
            return ApiResponse(error.code, _decode(error.read()),
                               {k.lower(): v for k, v in error.headers.items()})
        except OSError as unreachable:
            raise LoadError(f"{method} {self.base_url}{path}: {unreachable}") from unreachable


class InProcessTransport:
    """DRF's test client in this process (tests): same views, same tokens, no socket."""

    def __init__(self, tokens: KeycloakTokens, *, prefix: str = "/api/v1") -> None:
        from rest_framework.test import APIClient

        self.client = APIClient()
        self.tokens = tokens
        self.prefix = prefix

    def request(self, method: str, path: str, *, username: str, body: Any = None,
                headers: Mapping[str, str] | None = None) -> ApiResponse:
        sent = {**(headers or {}), "Authorization": f"Bearer {self.tokens.token(username)}"}
        data = "" if body is None else json.dumps(body)
        response = self.client.generic(method, f"{self.prefix}{path}", data,
                                       content_type="application/json", headers=sent)
        return ApiResponse(response.status_code, _decode(response.content),
                           {k.lower(): v for k, v in response.headers.items()})


# --- Counts ----------------------------------------------------------------------------------

@dataclass
class TenantLoad:
    """What one tenant's load did; `*_existing` were there from an earlier load."""

    tenant: str
    centres_created: int = 0
    centres_existing: int = 0
    clients_created: int = 0
    clients_existing: int = 0
    visits_created: int = 0
    visits_existing: int = 0
    sessions_created: int = 0
    sessions_existing: int = 0
    attendances: int = 0  # of the sessions, new or existing: each is a counselling visit
    seconds: float = 0.0

    @property
    def created(self) -> int:
        return (self.centres_created + self.clients_created + self.visits_created
                + self.sessions_created)

    def describe(self) -> str:
        def pair(made: int, there: int) -> str:
            return f"{made} new" + (f" + {there} existing" if there else "")

        return (f"{self.tenant}: centres {pair(self.centres_created, self.centres_existing)}, "
                f"clients {pair(self.clients_created, self.clients_existing)}, "
                f"visits {pair(self.visits_created, self.visits_existing)}, "
                f"sessions {pair(self.sessions_created, self.sessions_existing)}"
                + (f" ({self.attendances} attendances)" if self.attendances else "") + "; "
                f"{self.seconds:.1f} s")


@dataclass
class LoadSummary:
    tenants: dict[str, TenantLoad] = field(default_factory=dict)
    seconds: float = 0.0

    def tenant(self, code: str) -> TenantLoad:
        return self.tenants.setdefault(code, TenantLoad(code))

    def total(self, name: str) -> int:
        """The sum over tenants of one count, e.g. `total("visits_created")`."""
        return sum(int(getattr(load, name)) for load in self.tenants.values())

    def describe(self) -> str:
        parts = []
        for what in ("centres", "clients", "visits", "sessions"):
            made, there = self.total(f"{what}_created"), self.total(f"{what}_existing")
            parts.append(f"{made} {what} created" + (f" ({there} existing)" if there else ""))
        return (f"demo data: {', '.join(parts)} in {len(self.tenants)} tenants, "
                f"{self.seconds:.1f} s")


# --- The loader ------------------------------------------------------------------------------

def _refused(what: str, answer: ApiResponse) -> LoadError:
    return LoadError(f"{what}: HTTP {answer.status} {json.dumps(answer.body)[:500]}")


class _Loader:
    """The steps, with what they learn on the way: centre ids, and client ids sessions need."""

    def __init__(self, transport: Transport, out: Printer, wanted_clients: set[str]) -> None:
        self.transport = transport
        self.out = out
        self.summary = LoadSummary()
        self.centre_ids: dict[str, str] = {}
        self.wanted_clients = wanted_clients
        self.client_ids: dict[str, str] = {}
        self.batches = 0

    def _timed(self, tenant: str, method: str, path: str, *, username: str, body: Any = None,
               headers: Mapping[str, str] | None = None) -> ApiResponse:
        started = time.monotonic()
        try:
            return self.transport.request(method, path, username=username, body=body,
                                          headers=headers)
        finally:
            self.summary.tenant(tenant).seconds += time.monotonic() - started

    def centres(self, tenant: str, centres: Iterable[PlannedCentre]) -> None:
        manager = f"manager.{tenant.lower()}"
        existing: dict[str, dict[str, Any]] = {}
        path: str | None = f"/centres?page_size={CENTRE_PAGE}"
        while path is not None:
            answer = self._timed(tenant, "GET", path, username=manager)
            if answer.status != 200:
                raise _refused(f"{tenant}: listing centres", answer)
            existing |= {c["name"]: c for c in answer.body["results"]}
            path = _below_api(answer.body.get("next"))
        load = self.summary.tenant(tenant)
        for centre in centres:
            found = existing.get(centre.name)
            if found is None:
                answer = self._timed(tenant, "POST", "/centres", username=manager,
                                     body=centre.as_input())
                if answer.status != 201:
                    raise _refused(f"{tenant}: creating centre {centre.name}", answer)
                found = answer.body
                load.centres_created += 1
            elif not found["active"]:
                raise LoadError(f"{tenant}: centre {centre.name} exists but is inactive; "
                                "visits cannot be recorded there")
            else:
                load.centres_existing += 1
            self.centre_ids[centre.key] = str(found["id"])

    def sync(self, tenant: str, kind: str, items: list[tuple[str, dict[str, Any]]]) -> None:
        """One batch of one kind: every item must be created or a duplicate of an earlier one."""
        body = {"items": [{"kind": kind, "key": key, "data": data} for key, data in items]}
        answer = self._timed(tenant, "POST", "/sync", username=f"counsellor.{tenant.lower()}",
                             body=body)
        if answer.status != 200:
            raise _refused(f"{tenant}: syncing {len(items)} {kind}s", answer)
        results: list[dict[str, Any]] = answer.body["results"]
        problems = [r for r in results if r["status"] not in ("created", "duplicate")]
        if problems or len(results) != len(items):
            shown = "\n".join(
                f"  {r['kind']} {r['key']}: {r['status']} {json.dumps(r.get('errors') or {})}"
                + (f" candidates {json.dumps(r['candidates'])[:300]}" if r.get("candidates")
                   else "")
                for r in problems[:SHOWN_PROBLEMS])
            raise LoadError(f"{tenant}: {len(problems)} of {len(items)} {kind}s refused by "
                            f"/sync (first {min(len(problems), SHOWN_PROBLEMS)}):\n{shown}")
        load = self.summary.tenant(tenant)
        created = sum(r["status"] == "created" for r in results)
        if kind == "client":
            load.clients_created += created
            load.clients_existing += len(results) - created
            self.client_ids |= {r["key"]: str(r["id"]) for r in results
                                if r["key"] in self.wanted_clients}
        else:
            load.visits_created += created
            load.visits_existing += len(results) - created
        self.batches += 1

    def stream(self, kind: str, records: Iterable[tuple[str, str, dict[str, Any]]],
               total: int | None = None) -> None:
        """(tenant, key, data) in any tenant order, sent in full batches per tenant."""
        pending: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
        sent = 0
        started = time.monotonic()
        for tenant, key, data in records:
            batch = pending[tenant]
            batch.append((key, data))
            if len(batch) == BATCH_SIZE:
                self.sync(tenant, kind, batch)
                sent += len(batch)
                pending[tenant] = []
                if total is not None and self.batches % PROGRESS_EVERY == 0:
                    rate = sent / max(time.monotonic() - started, 1e-9)
                    self.out(f"  {kind}s: {sent:,}/{total:,} ({rate:,.0f}/s)")
        for tenant, batch in pending.items():
            if batch:
                self.sync(tenant, kind, batch)

    def sessions(self, tenant: str, sessions: Iterable[PlannedSession]) -> None:
        load = self.summary.tenant(tenant)
        for session in sessions:
            missing = [k for k in session.attendee_keys if k not in self.client_ids]
            if missing:
                raise LoadError(f"{tenant}: session {session.key} names clients not loaded: "
                                f"{missing[:SHOWN_PROBLEMS]}")
            body = session.as_input(centre_id=self.centre_ids[session.centre_key],
                                    attendee_ids=[self.client_ids[k]
                                                  for k in session.attendee_keys])
            answer = self._timed(tenant, "POST", "/group-sessions",
                                 username=f"manager.{tenant.lower()}", body=body,
                                 headers={"Idempotency-Key": session.key})
            if answer.status != 201:
                raise _refused(f"{tenant}: recording group session {session.key}", answer)
            load.attendances += len(session.attendee_keys)
            if answer.headers.get("idempotent-replayed") == "true":
                load.sessions_existing += 1
            else:
                load.sessions_created += 1


def _below_api(url: str | None) -> str | None:
    """A `next` link made relative to `/api/v1` (the transport adds its own base)."""
    if not url:
        return None
    parts = urllib.parse.urlsplit(url)
    path = parts.path.split("/api/v1", 1)[-1]
    return f"{path}?{parts.query}" if parts.query else path


def _client_item(client: PlannedClient) -> tuple[str, str, dict[str, Any]]:
    return client.tenant_id, client.key, client.as_input()


def _visit_item(centre_ids: Mapping[str, str],
                visit: PlannedVisit) -> tuple[str, str, dict[str, Any]]:
    return visit.tenant_id, visit.key, visit.as_input(centre_id=centre_ids[visit.centre_key])


def load_plan(plan: DemoPlan, transport: Transport, *, out: Printer = print) -> LoadSummary:
    """Load a calibrated plan tenant by tenant; a line per tenant, then the summary."""
    started = time.monotonic()
    loader = _Loader(transport, out, {k for s in plan.sessions for k in s.attendee_keys})
    tenants = list(dict.fromkeys(c.tenant_id for c in plan.centres))
    for tenant in tenants:
        loader.centres(tenant, [c for c in plan.centres if c.tenant_id == tenant])
        loader.stream("client", (_client_item(c) for c in plan.clients
                                 if c.tenant_id == tenant))
        loader.stream("visit", (_visit_item(loader.centre_ids, v) for v in plan.visits
                                if v.tenant_id == tenant))
        loader.sessions(tenant, [s for s in plan.sessions if s.tenant_id == tenant])
        out(loader.summary.tenant(tenant).describe())
    loader.summary.seconds = time.monotonic() - started
    out(loader.summary.describe())
    return loader.summary


def load_scaled(plan: ScaledPlan, transport: Transport, *,
                out: Printer = print) -> LoadSummary:
    """Load a scaled plan in one pass (it is never all in memory): centres of every tenant,
    then all clients, then all visits, each tenant's in its own batches; progress as it goes,
    a line per tenant at the end (seconds: time spent in that tenant's requests)."""
    started = time.monotonic()
    loader = _Loader(transport, out, set())
    for tenant in plan.centres_by_tenant:
        loader.centres(tenant, plan.centres_by_tenant[tenant])
    out(f"centres: {loader.summary.total('centres_created')} created, "
        f"{loader.summary.total('centres_existing')} existing")
    loader.stream("client", (_client_item(c) for c in plan.clients()), plan.clients_total)
    out(f"clients: {plan.clients_total:,} sent")
    loader.stream("visit", (_visit_item(loader.centre_ids, v) for v in plan.visits()),
                  plan.visits_total)
    for load in loader.summary.tenants.values():
        out(load.describe())
    loader.summary.seconds = time.monotonic() - started
    out(loader.summary.describe())
    return loader.summary
