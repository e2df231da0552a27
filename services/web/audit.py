"""The audit log of personal data read through the pages, as the API writes it."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from django.http import HttpRequest

from intake.services import RequestOrigin, audit_record
from services.auth.tokens import Principal


def origin_of(request: HttpRequest) -> RequestOrigin:
    return RequestOrigin(remote_addr=request.META.get("REMOTE_ADDR", ""),
                         user_agent=request.META.get("HTTP_USER_AGENT", ""))


def audit_read(request: HttpRequest, principal: Principal, *, action: str,
               client_ids: Iterable[UUID], fields: Iterable[str]) -> None:
    """Record that `principal` saw `fields` of these clients (nothing when there are none)."""
    ids = sorted(set(client_ids))
    if ids:
        audit_record(actor=principal, action=action, client_ids=ids, fields=list(fields),
                     origin=origin_of(request))
