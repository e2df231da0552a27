"""The OpenAPI schema is generated without warnings and every change to it shows in review."""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Any

import yaml
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

SNAPSHOT = Path(__file__).parent / "snapshots" / "openapi.yaml"


def _schema() -> str:
    # drf-spectacular ships no type hints for its generator.
    generator = SchemaGenerator()  # type: ignore[no-untyped-call]
    schema = generator.get_schema(request=None, public=True)  # type: ignore[no-untyped-call]
    return yaml.safe_dump(schema, sort_keys=True, allow_unicode=True)


def test_openapi_matches_the_snapshot() -> None:
    actual = _schema()
    if os.environ.get("MSC_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(actual)
    expected = SNAPSHOT.read_text() if SNAPSHOT.exists() else ""
    diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                        "committed snapshot", "generated schema"))
    assert not diff, (
        "The OpenAPI schema differs from tests/contract/snapshots/openapi.yaml. If the change "
        "is intended, rerun with MSC_UPDATE_SNAPSHOTS=1 and commit the file.\n" + diff[:20000]
    )


def test_every_operation_requires_the_bearer_token() -> None:
    schema = yaml.safe_load(_schema())
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert operation.get("security") == [{"keycloakBearer": []}], f"{method} {path}"


def test_the_schema_is_valid_openapi() -> None:
    generator = SchemaGenerator()  # type: ignore[no-untyped-call]
    # Raises on any violation of the OpenAPI 3 JSON schema.
    validate_schema(generator.get_schema(request=None, public=True))  # type: ignore[no-untyped-call]


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, operation) for path, operations in schema["paths"].items()
            for method, operation in operations.items()]


def _resolved(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        section, name = node["$ref"].split("/")[-2:]
        node = schema["components"][section][name]
    return node


def test_every_error_answer_is_documented_with_the_error_body() -> None:
    """Every operation documents the errors any request can meet (400, 401, 406, 429 and 503
    with Retry-After) and each error answer it documents is the platform's error body."""
    schema = yaml.safe_load(_schema())
    for method, path, operation in _operations(schema):
        responses = operation["responses"]
        assert {"400", "401", "406", "429", "503"} <= set(responses), f"{method} {path}"
        for code, response in responses.items():
            if int(code) < 400:
                continue
            body = _resolved(schema, response)["content"]["application/json"]["schema"]
            assert body == {"$ref": "#/components/schemas/Error"}, f"{method} {path} {code}"
        assert "Retry-After" in _resolved(schema, responses["503"])["headers"]
        assert _resolved(schema, responses["429"])["headers"]["Retry-After"]["required"]
        parameters = {p["name"] for p in operation.get("parameters", [])}
        if any(p["in"] == "path" for p in operation.get("parameters", [])):
            assert "404" in responses, f"{method} {path}"
        if "If-Match" in parameters:
            assert "409" in responses, f"{method} {path}"


def test_links_lead_from_a_created_record_to_the_operations_on_it() -> None:
    schema = yaml.safe_load(_schema())
    by_id = {operation["operationId"]: operation for _, _, operation in _operations(schema)}
    links = {(path, name): link for method, path, operation in _operations(schema)
             for name, link in operation["responses"].get("201", {}).get("links", {}).items()}
    for (path, name), link in links.items():
        target = by_id[link["operationId"]]
        names = {(p["in"], p["name"]) for p in target.get("parameters", [])}
        for parameter in link["parameters"]:
            location, parameter_name = parameter.split(".", 1)
            assert (location, parameter_name) in names, (path, name, parameter)
    linked = {(path, link["operationId"]) for (path, _), link in links.items()}
    assert {("/api/v1/clients", "clients_retrieve"), ("/api/v1/clients", "clients_partial_update"),
            ("/api/v1/visits", "visits_partial_update"), ("/api/v1/centres", "centres_retrieve"),
            ("/api/v1/referrals", "referrals_retrieve"), ("/api/v1/referrals", "referrals_act"),
            } <= linked
    patch = links[("/api/v1/clients", "clients_partial_update")]["parameters"]
    assert patch == {"path.client_id": "$response.body#/id",
                     "header.If-Match": "$response.header.ETag"}


def test_every_json_request_body_refuses_fields_the_api_does_not_know() -> None:
    # The API answers an unknown field with 400 (StrictFieldsMixin); the schema says so, so a
    # generated client refuses it before sending.
    schema = yaml.safe_load(_schema())
    # An HSDS data package: a standard document of its own, read by its own parser.
    documents = {"post /api/v1/directory/import"}
    open_bodies = []
    for method, path, operation in _operations(schema):
        if f"{method} {path}" in documents:
            continue
        content = operation.get("requestBody", {}).get("content", {})
        body = content.get("application/json")
        if body is not None and _resolved(schema, body["schema"]).get(
                "additionalProperties") is not False:
            open_bodies.append(f"{method} {path}")
    assert open_bodies == []
