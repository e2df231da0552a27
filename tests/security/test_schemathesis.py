"""Schemathesis against the OpenAPI schema, in-process on the WSGI application (no server).

For every operation, generated requests (boundary values, then random ones; valid and invalid)
are sent as a caller the access matrix admits, with a real Keycloak token: no answer is a 5xx,
a 2xx is a documented one and conforms to the schema, invalid input is refused with a 4xx in the
platform's error format, and without a token every operation answers 401 whatever the request
carries. Path and body ids are drawn from a small world of real AL records as well as at random,
so that cases get past "no such record".

Where the schema is free-form, conformance is trivially true: the HSDS directory (its pages,
services, organizations, export and import), the routing suggestions and the statistics summary
answer `type: object`. The import is fuzzed below from a real package instead. Every answer,
errors included, must be one the operation documents, in the documented body; that an error's
`status` repeats the HTTP status is checked here, as JSON Schema cannot say it.

A counsellor also walks the schema's links statefully: a record a POST created is read and changed
through the id and ETag of the answer, as a client would, with the same checks.

Each case runs in a savepoint rolled back afterwards, so generated POSTs, erasures and imports
never reach the next case, and the world is rolled back after the module: nothing is committed.
`MSC_FUZZ_EXAMPLES=200` makes a longer hunt (CI runs the default, deterministically).
"""

from __future__ import annotations

import copy
import io
import json
import os
import urllib.parse
import zipfile
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.urls import Resolver404, resolve
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import Case as GenericCase
from schemathesis.checks import CheckContext
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation
from schemathesis.core.transport import Response
from schemathesis.specs.openapi.checks import negative_data_rejection

from referrals.hsds.csv_format import DATAPACKAGE, TABLES
from tests.conftest import IN_CI
from tests.integration.keycloak_helpers import as_user
from tests.security.surface import (
    HOSTILE,
    WRITES,
    World,
    acceptance,
    bearer,
    callers_allowed,
    connection_kept_open,
    openapi_schema,
    rolled_back,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

Case = GenericCase[Any]  # of any operation

# Random cases per operation, on top of the boundary values; small enough for CI on two cores.
MAX_EXAMPLES = int(os.environ.get("MSC_FUZZ_EXAMPLES", "12"))

CONFIG = SchemathesisConfig.from_dict({
    # Tokens come from Keycloak, not from the generator; unknown query parameters are ignored by
    # design (as most HTTP APIs do), so generating them would only flag that choice.
    # In CI the same cases every run (a fixed seed), as Hypothesis's own CI profile does.
    "generation": {"max-examples": MAX_EXAMPLES, "mode": "all", "deterministic": IN_CI,
                   "with-security-parameters": False, "allow-extra-parameters": False},
    # Boundary values (the coverage phase), then random cases (fuzzing). The schema has no
    # examples to replay, and the stateful phase is not what this test is about.
    "phases": {"examples": {"enabled": False}, "stateful": {"enabled": False}},
    "checks": {
        # Positive cases satisfy the schema, not the data (ids of nothing, stale If-Match): a 4xx
        # is the right answer to most of them.
        "positive_data_acceptance": {"enabled": False},
        # Re-sent without a token by `test_no_token_is_401` instead, once per case, not twice.
        "ignored_auth": {"enabled": False},
        # Replaced by `rejects_invalid_input`, which leaves the query string to DRF's lenience.
        "negative_data_rejection": {"enabled": False},
    },
})


def _as_tested(schema: dict[str, Any]) -> dict[str, Any]:
    """The published schema, with one reading made explicit: DRF takes an empty optional query
    parameter (`?taxonomy_id=`) as one not given, so "" is admitted there (`allowEmptyValue`)."""
    tested = copy.deepcopy(schema)
    for operations in tested["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query" and not parameter.get("required", False):
                    parameter["allowEmptyValue"] = True
    return tested


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


_CELLS = st.text(max_size=12) | st.sampled_from(["", "0", "-1", "1e309", "null", "ä,\"x"])


@st.composite
def _csv(draw: st.DrawFn) -> bytes:
    """A CSV table: a header of known and odd column names, rows of odd cells."""
    columns = draw(st.lists(st.sampled_from(["id", "name", "organization_id", "service_id",
                                             "location_id", "status", "minimum_age", "x"]),
                            min_size=1, max_size=5))
    rows = draw(st.lists(st.lists(_CELLS, max_size=6), max_size=3))
    return "\n".join(",".join(row) for row in [columns, *rows]).encode()


_DESCRIPTOR = st.builds(lambda resources: json.dumps({"resources": resources}).encode(),
                        st.lists(st.fixed_dictionaries({
                            "name": st.sampled_from([t.name for t in TABLES]),
                            "path": st.sampled_from([t.path for t in TABLES] + ["../x.csv"])}),
                            max_size=3))
# Directory packages as zips: random bytes, or zips of HSDS-named files with odd content.
ZIPS = st.binary(max_size=64) | st.builds(_zip, st.dictionaries(
    st.sampled_from([t.path for t in TABLES] + [DATAPACKAGE, f"dir/{DATAPACKAGE}"]),
    st.binary(max_size=40) | _csv() | _DESCRIPTOR, max_size=4))
schemathesis.openapi.media_type("application/zip", ZIPS)

SCHEMA = schemathesis.openapi.from_dict(_as_tested(openapi_schema()), config=CONFIG)
SCHEMA.app = WSGIHandler()
# For the calls without a token: a few fuzzed cases per operation, valid and invalid alike (the
# coverage phase's boundary values add nothing when the answer must be 401 before any parsing).
UNAUTHENTICATED = schemathesis.openapi.from_dict(
    _as_tested(openapi_schema()), config=SchemathesisConfig.from_dict({
        "generation": {"max-examples": 4, "mode": "all", "deterministic": IN_CI,
                       "with-security-parameters": False},
        "phases": {"examples": {"enabled": False}, "coverage": {"enabled": False},
                   "stateful": {"enabled": False}}}))
UNAUTHENTICATED.app = SCHEMA.app




def routed(response: Response) -> bool:
    """Whether the request's path reached a view at all. A path parameter that does not fit its
    URL pattern (a malformed UUID) is answered by Django's resolver, before any view: 404."""
    path = urllib.parse.unquote(urllib.parse.urlsplit(response.request.url or "").path)
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


def error_envelope(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """Every error is the platform's error envelope with the same status, also where no view was
    reached (a path parameter that does not fit its URL pattern: Django's resolver answers)."""
    if response.status_code < 400:
        return None
    try:
        body = json.loads(response.content or b"")
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if not (isinstance(error, dict) and error.get("status") == response.status_code
            and isinstance(error.get("code"), str) and isinstance(error.get("message"), str)):
        raise AssertionError(f"not the platform's error format: {response.status_code} "
                             f"{response.content[:300]!r}")
    return True


def rejects_invalid_input(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """A case the generator made invalid is refused (schemathesis's negative_data_rejection),
    unless only its query string is invalid: DRF reads query strings leniently by design (the
    last of a repeated parameter, the default page size for one it cannot read, an undecodable
    cursor as the first page, `active=null` as no filter), and those must merely not fail."""
    meta = case.meta
    if meta is None:
        return None
    negated = {location for location, info in meta.components.items()
               if not info.mode.is_positive}
    if negated <= {ParameterLocation.QUERY}:
        return None
    HOSTILE.count(let_through=acceptance(response))
    return negative_data_rejection(ctx, response, case)


def _positive(case: Case, location: ParameterLocation) -> bool:
    """Whether the generator meant this part of the case to be valid (never undo a negation)."""
    info = case.meta.components.get(location) if case.meta is not None else None
    return info is not None and info.mode.is_positive


def _aim(case: Case, world: World, data: st.DataObject) -> None:
    """Point some valid cases at real records (in the path and in the body), and give some a
    plausible If-Match, so that generated requests get past "no such record"."""
    if case.path_parameters and _positive(case, ParameterLocation.PATH):
        for name in case.path_parameters:
            if name in world.ids and data.draw(st.booleans(), label=f"real {name}"):
                case.path_parameters[name] = world.ids[name]
    if (case.headers and "If-Match" in case.headers and _positive(case, ParameterLocation.HEADER)
            and data.draw(st.booleans(), label="real If-Match")):
        case.headers["If-Match"] = '"1"'
    _aim_body(case, world, lambda label: data.draw(st.booleans(), label=label))


def _aim_body(case: Case, world: World, choose: Callable[[str], bool]) -> None:
    """Point the ids in a valid body at real records where `choose(label)` says so."""
    if isinstance(case.body, dict) and _positive(case, ParameterLocation.BODY):
        for name in sorted(case.body):
            if name in world.ids and choose(f"real {name} in body"):
                case.body[name] = world.ids[name]
        if "attendee_ids" in case.body and choose("real attendee"):
            case.body["attendee_ids"] = [world.ids["client_id"]]


@SCHEMA.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
@SCHEMA.given(data=st.data())
def test_generated_requests_as_each_allowed_caller(
        case: Case, data: st.DataObject, world: World, statistics_store: None) -> None:
    """No 5xx, schema-conformant answers, invalid input rejected, errors in the one format."""
    method, path = case.method.lower(), case.operation.path
    caller = data.draw(st.sampled_from(callers_allowed(method, path)), label="caller")
    _aim(case, world, data)
    headers = {"Authorization": bearer(caller)}
    with connection_kept_open(), rolled_back():
        response = case.call(headers=headers)
        case.validate_response(response, headers=headers,
                               additional_checks=[error_envelope, rejects_invalid_input])


@UNAUTHENTICATED.parametrize()
@settings(max_examples=4, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_no_token_is_401(case: Case) -> None:
    """Whatever a request carries, without a token it is refused before anything else."""
    assert "authorization" not in {name.lower() for name in case.headers or {}}
    with connection_kept_open(), rolled_back():
        response = case.call()
    HOSTILE.count(let_through=acceptance(response))
    if response.status_code == 404 and not routed(response):
        return  # no operation was reached: the path does not exist
    assert response.status_code == 401, (case.method, case.formatted_path, response.content)
    assert response.headers["www-authenticate"][0].startswith("Bearer"), response.headers
    assert json.loads(response.content)["error"]["status"] == 401


# --- Following the links ---------------------------------------------------------------------
# The schema links the 201 of each POST that creates a record to the operations on that record
# (services.api.schema). For each collection a counsellor may add to, scenarios start at its POST
# (a valid body, as `WRITES` has it, or an invalid one) and go on along the links, with the id and
# the ETag of the answer: every step is checked as above. One state machine per collection, so
# that each collection's POST starts scenarios (schemathesis starts only at the likeliest ones).

STATEFUL_CALLER = "counsellor.al"
SCENARIOS = int(os.environ.get("MSC_STATEFUL_SCENARIOS", "20"))
SCENARIO_STEPS = 6

STATEFUL = schemathesis.openapi.from_dict(_as_tested(openapi_schema()), config=(
    SchemathesisConfig.from_dict({
        "generation": {"mode": "all", "deterministic": IN_CI,
                       "with-security-parameters": False, "allow-extra-parameters": False},
        # Only the schema's own links, not ones schemathesis would guess from names.
        "phases": {"stateful": {"enabled": True, "max-steps": SCENARIO_STEPS,
                                "inference": {"algorithms": []}}},
        "checks": {"positive_data_acceptance": {"enabled": False},
                   "ignored_auth": {"enabled": False},
                   "negative_data_rejection": {"enabled": False}},
    })))
STATEFUL.app = SCHEMA.app


def _linked_collections() -> list[str]:
    """The collections whose POST the counsellor may call and whose answer links onwards."""
    return sorted(path for path, operations in openapi_schema()["paths"].items()
                  if "links" in operations.get("post", {}).get("responses", {}).get("201", {})
                  and STATEFUL_CALLER in callers_allowed("post", path))


def test_the_counsellor_has_links_to_follow() -> None:
    assert _linked_collections() == ["/api/v1/clients", "/api/v1/referrals", "/api/v1/visits"]


@pytest.mark.parametrize("collection", _linked_collections())
def test_a_counsellor_follows_the_links(collection: str, world: World,
                                        statistics_store: None) -> None:
    """Scenarios of up to SCENARIO_STEPS calls from the collection's POST along its links: no
    5xx, every answer documented and conformant, errors in the one format. Each scenario is
    rolled back afterwards."""
    schema = STATEFUL.include(lambda ctx: (
        STATEFUL_CALLER in callers_allowed(ctx.operation.method.lower(), ctx.operation.path)
        and (ctx.operation.path == collection or ctx.operation.path.startswith(f"{collection}/"))))
    workflow: Any = schema.as_state_machine()
    valid_body = WRITES[("post", collection)].body
    headers = {"Authorization": bearer(STATEFUL_CALLER)}

    class CounsellorWorkflow(workflow):  # type: ignore[misc] # a base class made at runtime
        def setup(self) -> None:
            self.scenario = ExitStack()
            self.scenario.enter_context(connection_kept_open())
            self.scenario.enter_context(rolled_back())

        def teardown(self) -> None:
            self.scenario.close()

        def before_call(self, case: Case) -> None:
            if case.operation.path == collection and _positive(case, ParameterLocation.BODY):
                case.body = valid_body(world, {})
            _aim_body(case, world, lambda label: True)

        def get_call_kwargs(self, case: Case) -> dict[str, Any]:
            return {"headers": headers}

        def validate_response(self, response: Response, case: Case,
                              additional_checks: Any = None, **kwargs: Any) -> None:
            super().validate_response(response, case,
                                      additional_checks=[error_envelope, rejects_invalid_input],
                                      **kwargs)

    CounsellorWorkflow.run(settings=settings(
        CounsellorWorkflow.TestCase.settings, max_examples=SCENARIOS,
        stateful_step_count=SCENARIO_STEPS, deadline=None, derandomize=IN_CI,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                               HealthCheck.filter_too_much]))


# --- Where the schema is free-form ------------------------------------------------------------
# The HSDS package of `POST /directory/import` is `type: object` (JSON) or binary (zip), so the
# generator above cannot reach past "not a package". These cases start from the tenant's real
# package and break one thing in it, so the checks deep in the import meet hostile values.

_ODD_VALUES: st.SearchStrategy[Any] = (
    st.none() | st.booleans() | st.integers(min_value=-2**70, max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False) | _CELLS
    | st.text(alphabet=st.characters(codec="utf-8"), max_size=8)
    | st.just("a\x00b") | st.just({}) | st.just([]) | st.just("x" * 300))


@st.composite
def _broken(draw: st.DrawFn, document: Any) -> Any:
    """`document` with one node replaced by an odd value, or removed from its container."""
    if isinstance(document, dict) and document and draw(st.booleans(), label="go deeper"):
        key = draw(st.sampled_from(sorted(document)))
        if draw(st.integers(0, 5)) == 0:
            return {k: v for k, v in document.items() if k != key}
        return {**document, key: draw(_broken(document[key]))}
    if isinstance(document, list) and document and draw(st.booleans(), label="go deeper"):
        index = draw(st.integers(0, len(document) - 1))
        return [*document[:index], draw(_broken(document[index])), *document[index + 1:]]
    return draw(_ODD_VALUES)


def _with_cell(archive: bytes, member: str, row: int, column: int, value: str) -> bytes:
    """The zip with one CSV cell of `member` replaced."""
    source = zipfile.ZipFile(io.BytesIO(archive))
    members = {name: source.read(name) for name in source.namelist()}
    lines = members[member].decode().splitlines()
    if len(lines) > row:
        cells = lines[row].split(",")
        cells[min(column, len(cells) - 1)] = value
        lines[row] = ",".join(cells)
    return _zip({**members, member: "\n".join(lines).encode()})


@pytest.fixture(scope="module")
def packages(world: World) -> tuple[dict[str, Any], bytes]:
    """The world's directory as an HSDS package: JSON and the zip of CSV tables."""
    admin = as_user("admin.al")
    as_json = admin.get("/api/v1/directory/export?as=json")
    as_zip = admin.get("/api/v1/directory/export?as=csv")
    assert as_json.status_code == as_zip.status_code == 200
    return as_json.json(), as_zip.content


def _import(body: bytes, content_type: str) -> Any:
    with rolled_back():
        response = as_user("admin.al").post("/api/v1/directory/import", body,
                                            content_type=content_type)
    assert response.status_code in (200, 400), response.content[:500]
    if response.status_code == 400:
        assert response.json()["error"]["code"] in ("invalid_package", "invalid")
    return response


@settings(max_examples=MAX_EXAMPLES * 2, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_a_broken_json_package_is_refused_whole(data: st.DataObject,
                                                packages: tuple[dict[str, Any], bytes]) -> None:
    """One odd value anywhere in a real package: imported or refused (400), never a 500."""
    broken = data.draw(_broken(packages[0]), label="package")
    _import(json.dumps(broken).encode(), "application/json")


@settings(max_examples=MAX_EXAMPLES * 2, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_a_broken_csv_package_is_refused_whole(data: st.DataObject,
                                               packages: tuple[dict[str, Any], bytes]) -> None:
    """One odd cell in a real package's CSV tables: imported or refused (400), never a 500."""
    archive = packages[1]
    members = sorted(n for n in zipfile.ZipFile(io.BytesIO(archive)).namelist()
                     if n.endswith(".csv"))
    member = data.draw(st.sampled_from(members), label="table")
    value = data.draw(_CELLS | st.just("a\x00b") | st.just(str(2**40))
                      | st.just("1" + "0" * 400) | st.just("x" * 300), label="cell")
    row, column = data.draw(st.integers(1, 4)), data.draw(st.integers(0, 12))
    _import(_with_cell(archive, member, row, column, value), "application/zip")
