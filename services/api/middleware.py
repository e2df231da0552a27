"""503 instead of 500 when PostgreSQL cannot be reached before a view runs.

Requests run in one transaction each (ATOMIC_REQUESTS): Django opens it, and with it the
connection, around the view, so an unreachable server fails there, outside DRF and its exception
handler. This middleware answers those failures like the handler answers the ones inside a view:
503, `Retry-After` and the platform's error body. Everything else goes on to Django's handling.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

from services.api.errors import (
    DATABASE_RETRY_AFTER_SECONDS,
    DATABASE_UNAVAILABLE,
    database_unavailable,
)


class DatabaseUnavailableMiddleware:
    """Turns `OperationalError`/`InterfaceError` escaping a view into 503 + Retry-After."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DATABASE_UNAVAILABLE):
            return None
        response = JsonResponse(database_unavailable(exception, request, "transaction"),
                                status=503)
        response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
        return response
