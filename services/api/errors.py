"""One error format for the whole API.

    {"error": {"status": 400, "code": "invalid", "message": "...", "fields": {"name": ["..."]}}}

`fields` appears only for validation errors and names each offending field.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

log = logging.getLogger(__name__)

DATABASE_RETRY_AFTER_SECONDS = 5
# What psycopg raises (through Django) when the server cannot be reached or the connection broke:
# not the request's fault, and gone when the database is back, so 503 + Retry-After, never 500.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)


def _first_message(detail: Any) -> str:
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    if isinstance(detail, dict) and detail:
        key, value = next(iter(detail.items()))
        return f"{key}: {_first_message(value)}"
    return str(detail)


def error_body(status_code: int, code: str, message: str,
               fields: dict[str, Any] | None = None) -> dict[str, Any]:
    """The error envelope, for views that answer an error without raising."""
    error: dict[str, Any] = {"status": status_code, "code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"error": error}


def database_unavailable(exc: Exception, request: HttpRequest | None, where: str) -> dict[str, Any]:
    """Log an unreachable database; the error body that tells the client to retry."""
    method = request.method if request is not None else "-"
    path = request.path if request is not None else "-"
    log.error("database unavailable (%s) for %s %s: %s: %s", where, method, path,
              type(exc).__name__, str(exc).strip())
    return error_body(503, "service_unavailable", "the database is unavailable; retry later")


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF exception handler producing the platform's error envelope."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("not found")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DATABASE_UNAVAILABLE):
        # The database is unreachable: tell the client to retry rather than failing with 500.
        unavailable = Response(
            database_unavailable(exc, context.get("request"), "view"),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
        )
        unavailable["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
        return unavailable
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    detail = exc.detail
    fields = detail if isinstance(exc, exceptions.ValidationError) and isinstance(
        detail, dict) else None
    message = "invalid input" if fields else _first_message(detail)
    codes = exc.get_codes()
    code = codes if isinstance(codes, str) else exc.default_code
    response.data = error_body(response.status_code, str(code), message, fields)
    extra = getattr(exc, "extra", None)
    if callable(extra):
        response.data["error"].update(extra())
    return response
