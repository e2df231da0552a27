"""Serializer building blocks every API shares."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

# PostgreSQL's `integer`, the type of the API's counts: a larger number is a 400, not a 500.
INTEGER_MAX = 2_147_483_647


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
