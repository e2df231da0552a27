"""Serializer building blocks every API shares."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.request import Request

# PostgreSQL's `integer`, the type of the API's counts: a larger number is a 400, not a 500.
INTEGER_MAX = 2_147_483_647


def text_param(request: Request, name: str) -> str:
    """A free-text query parameter ("" if absent). PostgreSQL can neither store nor compare a NUL
    character, so a value with one is refused here (400) instead of failing the query (500)."""
    value: str = request.query_params.get(name, "")
    if "\x00" in value:
        raise serializers.ValidationError({name: ["must not contain NUL characters"]})
    return value


class StrictFieldsMixin:
    """Reject fields the caller may not set (tenant, ids, versions, audit fields...) instead of
    silently ignoring them: a client that thinks it set them must hear that it did not."""

    fields: Any

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: ["this field cannot be set"] for name in unknown})
        return super().to_internal_value(data)  # type: ignore[misc]
