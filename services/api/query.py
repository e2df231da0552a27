"""What every API operation refuses in its query string, whatever parameters it reads."""

from __future__ import annotations

from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

NUL = "\x00"


def refuse_nul_in_query(request: Request) -> None:
    """400 for a query parameter (name or value) with a NUL character.

    PostgreSQL can neither store nor compare NUL, so such a value would fail the view's query
    (500) instead of being refused as the client's mistake; no operation has a use for one.
    """
    offending = sorted(name for name, values in request.query_params.lists()
                       if NUL in name or any(NUL in value for value in values))
    if offending:
        raise ValidationError({name: ["must not contain NUL characters"] for name in offending})
