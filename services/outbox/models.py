"""The outbox table: one row per event, written in the same transaction as the change it reports."""

from __future__ import annotations

import zlib

from django.db import models
from django.db.models.functions import Now

from services.tenancy.models import TenantOwnedModel

# Relays split the work by bucket of the Kafka key (see services.outbox.relay). Changing the
# number moves keys between buckets, so change it only while the outbox has no backlog.
BUCKETS = 32


def bucket_of(partition_key: str) -> int:
    """The relay bucket of a key: stable across processes, machines and Python versions."""
    return zlib.crc32(partition_key.encode()) % BUCKETS


class OutboxEvent(TenantOwnedModel):
    """An event waiting for (or done with) publication to Kafka.

    `sequence` is the primary key so that the order of insertion is the order of publication
    within a key; `id` is the event's own id, the CloudEvents `id` consumers deduplicate on.
    """

    sequence = models.BigAutoField(primary_key=True)
    id = models.UUIDField(unique=True, editable=False)
    topic = models.CharField(max_length=200, help_text="Base name, from services.events.topics.")
    partition_key = models.CharField(max_length=200)
    bucket = models.SmallIntegerField()
    event_type = models.CharField(max_length=200)
    envelope = models.JSONField()
    created_at = models.DateTimeField(db_default=Now())
    published_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(db_default=0)
    last_error = models.TextField(db_default="", blank=True)

    class Meta:
        indexes = [
            # The relay only ever looks at unpublished rows; published ones stay out of its index.
            models.Index(fields=["sequence"], name="outbox_unpublished",
                         condition=models.Q(published_at__isnull=True)),
            models.Index(fields=["bucket", "sequence"], name="outbox_unpublished_bucket",
                         condition=models.Q(published_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.id} ({self.partition_key})"
