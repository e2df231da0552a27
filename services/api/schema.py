"""The OpenAPI schema's shared parts: every error an operation can answer, and links.

`ApiAutoSchema` (the DRF schema class) documents on each operation the errors it can give, from
what the operation is: every one can answer 400 (invalid input, query text with NUL), 401 (no
valid token), 406 (an `Accept` it cannot satisfy) and 503 (database unavailable, `Retry-After`);
a role check adds 403, an id in the path or a page `cursor` 404, `If-Match` 409 (and 428 where
required), a body 413 (and 415 where it is parsed as JSON), `Idempotency-Key` 422, and the
request rates per caller (services.api.throttling) 429 with `Retry-After`. A view documents an
error of its own (a 409 with extra fields) in its `extend_schema(responses=...)` with
`error_response`; that one wins.

`postprocess` (a drf-spectacular postprocessing hook) adds the error body and the error answers
as components, and links each record a POST creates to the operations on that record, so that a
client (or schemathesis's state machine) can follow the id and ETag of the answer.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ComponentRegistry, force_instance
from drf_spectacular.utils import OpenApiResponse

from services.api.serializers import StrictFieldsMixin
from services.auth.permissions import IsAuthenticatedPrincipal

ERROR_SCHEMA_NAME = "Error"


def _error_ref() -> dict[str, str]:
    # A new dict each time: a shared one would be written as a YAML alias in the snapshot.
    return {"$ref": f"#/components/schemas/{ERROR_SCHEMA_NAME}"}


def error_schema() -> dict[str, Any]:
    """The body of every error answer (services.api.errors); the extras appear with their code."""
    text = {"type": "string"}
    return {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {
            "type": "object",
            "required": ["status", "code", "message"],
            "properties": {
                "status": {"type": "integer", "description": "The HTTP status, repeated."},
                "code": {"type": "string", "description": (
                    "Why, for programs: e.g. `invalid`, `not_authenticated`, "
                    "`authentication_failed`, `permission_denied`, `not_found`, "
                    "`version_conflict`, `possible_duplicate`, `illegal_transition`, "
                    "`payload_too_large`, `throttled`.")},
                "message": {"type": "string", "description": "Why, for people (English)."},
                "fields": {"type": "object", "additionalProperties": True, "description": (
                    "`invalid` only: each offending field (or `non_field_errors`) with its "
                    "messages, a list of texts, nested like the input for nested fields.")},
                "current_version": {"type": "integer", "description": (
                    "`version_conflict`: the record's version now; read it again and send "
                    "that version in If-Match.")},
                "candidates": {"type": "array", "description": (
                    "`possible_duplicate`: the clients the new one may be."), "items": {
                        "type": "object",
                        "properties": {"id": {"type": "string", "format": "uuid"},
                                       "given_name": text, "family_name": text,
                                       "birth_year": {"type": "integer"},
                                       "municipality_code": text}}},
                "state": {"type": "string", "description": (
                    "`illegal_transition`: the referral's state.")},
                "allowed": {"type": "array", "items": text, "description": (
                    "`illegal_transition`: the actions the caller may take from that state.")},
                "problems": {"type": "array", "items": text, "description": (
                    "`invalid_package`: every problem of a refused directory package.")},
            },
        }},
    }


def error_response(description: str) -> OpenApiResponse:
    """For a view's `extend_schema(responses=...)`: an error of its own, in the one format."""
    return OpenApiResponse(response=_error_ref(), description=description)


def _seconds_header(description: str, *, required: bool) -> dict[str, Any]:
    return {"schema": {"type": "integer", "minimum": 0}, "required": required,
            "description": description}


# status: (component name, description, response headers)
ERRORS: dict[int, tuple[str, str, dict[str, Any]]] = {
    400: ("BadRequest", "Invalid input: `fields` names each offending field. Also unreadable "
          "JSON, a malformed If-Match or Idempotency-Key, or query text with a NUL character.",
          {}),
    401: ("Unauthorized", "No valid access token: missing, expired, or not one of the realm's "
          "access tokens for this API.",
          {"WWW-Authenticate": {"schema": {"type": "string"}, "required": True}}),
    403: ("Forbidden", "The caller's roles do not allow this operation.", {}),
    404: ("NotFound", "No such record, or one of another tenant: the two answer alike, as does "
          "an id that is malformed. On a list: a `cursor` that names no page.", {}),
    406: ("NotAcceptable", "The Accept header names nothing the operation can answer.", {}),
    409: ("VersionConflict", "If-Match names an old version: someone changed the record since it "
          "was read; `current_version` says to what.", {}),
    413: ("PayloadTooLarge", "The request body is larger than the API accepts.", {}),
    415: ("UnsupportedMediaType", "The body is not JSON (Content-Type).", {}),
    422: ("IdempotencyKeyReused", "The Idempotency-Key was used before for a different request.",
          {}),
    428: ("PreconditionRequired", "If-Match is missing: send the version (ETag) the change is "
          "based on.", {}),
    429: ("TooManyRequests", "The caller sent more requests than its rates allow (each user "
          "has a burst and a sustained rate); `Retry-After` says when requests pass again.",
          {"Retry-After": _seconds_header("Seconds until the caller's requests pass again.",
                                          required=True)}),
    503: ("ServiceUnavailable", "A store the operation needs is not answering; retry later.",
          {"Retry-After": _seconds_header(
              "Seconds to wait before retrying (sent when the database is unavailable).",
              required=False)}),
}


class ApiAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, with the errors each operation can answer."""

    def get_operation(self, path: str, path_regex: str, path_prefix: str, method: str,
                      registry: ComponentRegistry) -> dict[str, Any] | None:
        operation: dict[str, Any] | None = super().get_operation(
            path, path_regex, path_prefix, method, registry)
        if operation is not None:
            errors = {str(code): {"$ref": f"#/components/responses/{ERRORS[code][0]}"}
                      for code in self.error_statuses(operation)}
            operation["responses"] = {**errors, **operation["responses"]}
        return operation

    def _map_basic_serializer(self, serializer: Any, direction: str) -> dict[str, Any]:
        """A serializer's component; one that refuses unknown fields (StrictFieldsMixin) says
        so with `additionalProperties: false`, so generated clients refuse them too."""
        component: dict[str, Any] = super()._map_basic_serializer(serializer, direction)  # type: ignore[no-untyped-call]
        if isinstance(force_instance(serializer), StrictFieldsMixin):  # type: ignore[no-untyped-call]
            component["additionalProperties"] = False
        return component

    def error_statuses(self, operation: dict[str, Any]) -> list[int]:
        """The error statuses the operation can answer, from its parameters, body and view."""
        parameters = {(p["in"], p["name"]): p for p in operation.get("parameters", [])}
        statuses = [400, 406, 503]
        if operation.get("security"):
            statuses.append(401)
        if any(not isinstance(p, IsAuthenticatedPrincipal) or p.roles
               for p in self.view.get_permissions()):
            statuses.append(403)
        # DRF's cursor pagination answers an undecodable cursor with 404.
        if ("query", "cursor") in parameters or any(where == "path" for where, _ in parameters):
            statuses.append(404)
        if_match = parameters.get(("header", "If-Match"))
        if if_match is not None:
            statuses.extend([409, 428] if if_match.get("required") else [409])
        if "requestBody" in operation:
            statuses.append(413)
            # The body goes through DRF's parsers (JSON), not read raw by the view.
            if self.view.parser_classes:
                statuses.append(415)
        if ("header", "Idempotency-Key") in parameters:
            statuses.append(422)
        if self.view.throttle_classes:
            statuses.append(429)
        return sorted(statuses)


def postprocess(result: dict[str, Any], **_: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: the error components, and the links."""
    components = result.setdefault("components", {})
    components.setdefault("schemas", {})[ERROR_SCHEMA_NAME] = error_schema()
    components["responses"] = {
        name: {"description": description,
               "content": {"application/json": {"schema": _error_ref()}},
               **({"headers": headers} if headers else {})}
        for name, description, headers in ERRORS.values()}
    add_links(result["paths"], components["schemas"])
    return result


def add_links(paths: dict[str, Any], schemas: dict[str, Any]) -> None:
    """Link the 201 of each `POST <collection>` whose record has an `id` to every operation on
    `<collection>/{id}` (and below it): the id from the body, If-Match from the ETag."""
    for path, operations in paths.items():
        created = operations.get("post", {}).get("responses", {}).get("201")
        if created is None or "id" not in _properties(created, schemas):
            continue
        for target_path, targets in paths.items():
            if not target_path.startswith(f"{path}/{{"):
                continue
            name = target_path[len(path) + 2:].split("}", 1)[0]
            for target in targets.values():
                parameters = {f"path.{name}": "$response.body#/id"}
                if any(p["in"] == "header" and p["name"] == "If-Match"
                       for p in target.get("parameters", [])):
                    parameters["header.If-Match"] = "$response.header.ETag"
                created.setdefault("links", {})[target["operationId"]] = {
                    "operationId": target["operationId"], "parameters": parameters,
                    "description": f"The created record, by its `id` as `{name}`."}


def _properties(response: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    """The properties of a response's JSON body ({} if it has none or is not a component)."""
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    name = schema.get("$ref", "").rsplit("/", 1)[-1]
    found: dict[str, Any] = schemas.get(name, {}).get("properties", {})
    return found
