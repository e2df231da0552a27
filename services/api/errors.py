"""One error format for the whole API.

    {"error": {"status": 400, "code": "invalid", "message": "...", "fields": {"name": ["..."]}}}

`fields` appears only for validation errors and names each offending field. The same body
answers under `/api/` when Django itself refuses a request before any view (a path that does not
match, such as a malformed id: the same 404 as a missing record; a bad Host header; a crash).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from psycopg.errors import QueryCanceled
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

log = logging.getLogger(__name__)

DATABASE_RETRY_AFTER_SECONDS = 5
# What psycopg raises (through Django) when the server cannot be reached or the connection broke,
# or a statement ran past the statement timeout: not the request's fault, and gone when the
# database is back (or less busy), so 503 + Retry-After, never 500.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)

API_PREFIX = "/api/"
# One answer for "no such record", "not yours" and "no such path": nothing tells them apart.
NOT_FOUND = "not found"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"

    def __init__(self, limit: int | None = None) -> None:
        """`limit`: the most the operation reads (None: Django's DATA_UPLOAD_MAX_MEMORY_SIZE)."""
        most = settings.DATA_UPLOAD_MAX_MEMORY_SIZE if limit is None else limit
        super().__init__(f"the request body may be at most {most} bytes")


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
    """Log an unreachable database (or a statement it cancelled); the error body that tells the
    client to retry."""
    method = request.method if request is not None else "-"
    path = request.path if request is not None else "-"
    timed_out = isinstance(exc.__cause__, QueryCanceled)
    log.error("database %s (%s) for %s %s: %s: %s",
              "statement cancelled" if timed_out else "unavailable", where, method, path,
              type(exc).__name__, str(exc).strip())
    problem = "took too long to answer" if timed_out else "is unavailable"
    return error_body(503, "service_unavailable", f"the database {problem}; retry later")


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF exception handler producing the platform's error envelope."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(NOT_FOUND)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, DATABASE_UNAVAILABLE):
        # The database is unreachable: tell the client to retry rather than failing with 500.
        # The request's transaction is rolled back (its statements may have failed half-way).
        set_rollback()
        unavailable = Response(
            database_unavailable(exc, context.get("request"), "view"),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
        )
        unavailable["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
        return unavailable
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    response.data = api_error_body(exc, response.status_code)
    return response


def api_error_body(exc: exceptions.APIException, status_code: int) -> dict[str, Any]:
    """The error envelope of a DRF exception: a validation error names each field and what is
    wrong with it; `extra()` of the exception, if any, adds to it."""
    detail = exc.detail
    fields = detail if isinstance(exc, exceptions.ValidationError) and isinstance(
        detail, dict) else None
    message = ("; ".join(f"{name}: {_first_message(problem)}" for name, problem in fields.items())
               if fields else _first_message(detail))
    codes = exc.get_codes()
    code = codes if isinstance(codes, str) else exc.default_code
    body = error_body(status_code, str(code), message, fields)
    extra = getattr(exc, "extra", None)
    if callable(extra):
        body["error"].update(extra())
    return body


# Django's own answers where no view answered, by status: the code and message DRF gives.
_DJANGO_ERRORS = {
    400: ("bad_request", "bad request"),
    403: (exceptions.PermissionDenied.default_code,
          str(exceptions.PermissionDenied.default_detail)),
    404: (exceptions.NotFound.default_code, NOT_FOUND),
    500: ("server_error", "internal server error"),
}
ErrorPage = Callable[..., HttpResponse]


def api_or_page(status_code: int, page: ErrorPage) -> ErrorPage:
    """A Django error handler (`handler404` ...): the platform's error body under `/api/`,
    `page` (the web's page for the status) everywhere else."""
    code, message = _DJANGO_ERRORS[status_code]

    def handler(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
        if request.path.startswith(API_PREFIX):
            return JsonResponse(error_body(status_code, code, message), status=status_code)
        # Django calls handler500 with the request alone, the others with the exception too.
        return page(request) if exception is None else page(request, exception)

    return handler
