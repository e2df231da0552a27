"""`Idempotency-Key` for POST: a retried request creates nothing twice and gets the first answer.

The first request with a key runs and the answer it returns (any status below 500) is stored with a
fingerprint of the request. A retry with the same key and the same request gets that answer back,
marked `Idempotent-Replayed: true`; the same key with a different request is refused (422).
Concurrent requests with one key are serialised by a transaction-level advisory lock, so the
second waits for the first to commit and then replays it. Keys are scoped per tenant and caller.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import connection
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from services.api.errors import error_body
from services.api.models import IdempotencyRecord
from services.auth.tokens import Principal

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200
IDEMPOTENCY_KEY = OpenApiParameter(
    HEADER, str, OpenApiParameter.HEADER, required=False,
    description=f"1-{MAX_KEY_LENGTH} printable characters naming this request: a retry with the "
                "same key and body creates nothing twice and gets the first answer back")

View = TypeVar("View")
Handler = Callable[..., Response]


def _fingerprint(request: Request) -> str:
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _lock(tenant: str, subject: str, key: str) -> None:
    digest = hashlib.sha256(f"{tenant}\0{subject}\0{key}".encode()).digest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)",
                       [int.from_bytes(digest[:8], "big", signed=True)])


def idempotent(handler: Handler) -> Handler:
    """Decorate an APIView's `post` so that an `Idempotency-Key` makes it safe to retry."""

    @functools.wraps(handler)
    def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER)
        principal = request.user
        if key is None or not isinstance(principal, Principal) or principal.tenant is None:
            return handler(view, request, *args, **kwargs)
        if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
            return Response(error_body(400, "invalid_idempotency_key",
                                       f"{HEADER} must be 1-{MAX_KEY_LENGTH} printable "
                                       "characters"), status=status.HTTP_400_BAD_REQUEST)
        fingerprint = _fingerprint(request)
        _lock(principal.tenant, principal.subject, key)
        earlier = IdempotencyRecord.objects.filter(
            tenant_id=principal.tenant, actor_subject=principal.subject, key=key).first()
        if earlier is not None:
            if earlier.request_fingerprint != fingerprint:
                return Response(
                    error_body(422, "idempotency_key_reused",
                               f"this {HEADER} was used for a different request"),
                    status=status.HTTP_422_UNPROCESSABLE_ENTITY)
            replay = Response(earlier.response_body, status=earlier.response_status)
            replay["Idempotent-Replayed"] = "true"
            return replay
        response = handler(view, request, *args, **kwargs)
        if response.status_code < 500:
            IdempotencyRecord.objects.create(
                tenant_id=principal.tenant, actor_subject=principal.subject, key=key,
                request_fingerprint=fingerprint, response_status=response.status_code,
                response_body=json.loads(json.dumps(response.data, default=str)))
        return response

    # The operation documents the header; its schema adds the 422 that comes with it.
    documented: Handler = extend_schema(parameters=[IDEMPOTENCY_KEY])(wrapper)
    return documented
