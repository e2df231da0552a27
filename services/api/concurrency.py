"""Optimistic concurrency: an update names the version it was based on in `If-Match`.

Reads answer with `ETag: "<version>"`; an update without `If-Match` gets 428, one based on an old
version gets 409 with the current version, so nobody silently overwrites another person's change.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response


class PreconditionRequired(APIException):
    status_code = 428
    default_detail = "send If-Match with the version (ETag) you read"
    default_code = "precondition_required"


class VersionConflict(APIException):
    """The record changed since the caller read it; `current_version` says to what."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "version_conflict"

    def __init__(self, current_version: int) -> None:
        super().__init__(
            f"the record was changed by someone else; current version is {current_version}")
        self.current_version = current_version

    def extra(self) -> dict[str, Any]:
        return {"current_version": self.current_version}


class InvalidPrecondition(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = 'If-Match must be a version number, e.g. "3"'
    default_code = "invalid_if_match"


def etag(version: int) -> str:
    return f'"{version}"'


def expected_version(request: Request) -> int:
    """The version named by the request's `If-Match` header."""
    raw = request.headers.get("If-Match")
    if raw is None:
        raise PreconditionRequired()
    value = raw.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise InvalidPrecondition()
    return int(value)


IF_MATCH = OpenApiParameter("If-Match", str, OpenApiParameter.HEADER, required=True,
                            description='the version (ETag) the change is based on, e.g. "3"')
IF_MATCH_OPTIONAL = OpenApiParameter(
    "If-Match", str, OpenApiParameter.HEADER, required=False,
    description='optional: the version (ETag) the change is based on; a stale one answers 409')


def versioned_response(data: Any, version: int, status_code: int = status.HTTP_200_OK) -> Response:
    """A record's representation with its version as ETag, for the next If-Match."""
    response = Response(data, status=status_code)
    response["ETag"] = etag(version)
    return response
