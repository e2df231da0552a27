"""What the API conventions need to remember: the first answer to each idempotent POST."""

from __future__ import annotations

from django.db import models

from services.tenancy.models import TenantOwnedModel


class IdempotencyRecord(TenantOwnedModel):
    """The first answer to a POST with an `Idempotency-Key`, replayed to retries of it."""

    id = models.BigAutoField(primary_key=True)
    actor_subject = models.CharField(max_length=100)
    key = models.CharField(max_length=200)
    request_fingerprint = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "actor_subject", "key"],
                                    name="api_idempotency_unique_key"),
        ]

    def __str__(self) -> str:
        return f"idempotency {self.key}"
