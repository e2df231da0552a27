"""Intake records. Every table here is tenant-owned and protected by row-level security."""

from __future__ import annotations

import uuid

from django.db import models

from services.tenancy.models import TenantOwnedModel


class CentreKind(models.TextChoices):
    MIGRANT_SERVICE_CENTRE = "msc", "Migrant Service Centre"
    MIGRATION_COUNTER = "counter", "Migration counter in a regional employment office"


class Centre(TenantOwnedModel):
    """A Migrant Service Centre or migration counter of one national employment service."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    municipality_code = models.CharField(max_length=20)
    kind = models.CharField(max_length=10, choices=CentreKind.choices,
                            default=CentreKind.MIGRANT_SERVICE_CENTRE)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["tenant_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="intake_centre_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.tenant_id} {self.name}"
