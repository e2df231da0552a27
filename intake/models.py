"""Intake records. Every table here is tenant-owned and protected by row-level security."""

from __future__ import annotations

import uuid

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models

from intake import choices
from intake.search import loose_name_key, phone_digits
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
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["tenant_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="intake_centre_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.tenant_id} {self.name}"


class Client(TenantOwnedModel):
    """A person served by a centre. Personal data is stored only with consent.

    `version` grows with every change; updates must name the version they were based on.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    version = models.PositiveIntegerField(default=1)
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    name_key = models.CharField(max_length=220, db_index=True)
    sex = models.CharField(max_length=10, choices=choices.Sex.choices)
    birth_year = models.PositiveSmallIntegerField()
    birth_date = models.DateField(null=True, blank=True)
    citizenship = models.CharField(max_length=2)
    category = models.CharField(max_length=10, choices=choices.ClientCategory.choices)
    municipality_code = models.CharField(max_length=20)
    urban = models.BooleanField()
    education_level = models.CharField(max_length=6, choices=choices.EducationLevel.choices)
    employment_status = models.CharField(max_length=15, choices=choices.EmploymentStatus.choices)
    occupation_isco = models.CharField(max_length=1, blank=True,
                                       choices=choices.IscoMajorGroup.choices)
    migration_intention = models.CharField(max_length=15,
                                           choices=choices.MigrationIntention.choices)
    preferred_destinations = ArrayField(models.CharField(max_length=2), default=list, blank=True)
    permit_status = models.CharField(max_length=20, blank=True,
                                     choices=choices.PermitStatus.choices)
    phone = models.CharField(max_length=40, blank=True)
    email = models.CharField(max_length=200, blank=True)
    address = models.CharField(max_length=300, blank=True)
    consent_given_at = models.DateTimeField()
    consent_recorded_by = models.CharField(max_length=200)
    consent_scope = models.CharField(max_length=20, choices=choices.ConsentScope.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=200)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.CharField(max_length=200)
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["tenant_id", "id"]
        indexes = [
            # A birth year's clients in the search's order, so its first page reads no more.
            models.Index(fields=["tenant", "birth_year", "family_name", "given_name", "id"],
                         name="intake_client_birth_year"),
            # Trigram indexes (pg_trgm) for the substring searches: the counsellor's search
            # compares the loose name key and the phone's digits, the API's the name key.
            GinIndex(OpClass(loose_name_key(), name="gin_trgm_ops"),
                     name="intake_client_loose_name_trgm"),
            GinIndex(OpClass(phone_digits(), name="gin_trgm_ops"),
                     name="intake_client_phone_trgm"),
            GinIndex(fields=["name_key"], opclasses=["gin_trgm_ops"],
                     name="intake_client_name_key_trgm"),
        ]

    def __str__(self) -> str:
        return f"client {self.id}"


class MigrationStay(TenantOwnedModel):
    """A previous stay abroad of a client."""

    id = models.BigAutoField(primary_key=True)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="stays")
    country = models.CharField(max_length=2)
    purpose = models.CharField(max_length=10, choices=choices.StayPurpose.choices)
    year_from = models.PositiveSmallIntegerField(null=True, blank=True)
    year_to = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["client_id", "id"]

    def __str__(self) -> str:
        return f"stay {self.country} {self.purpose}"


class GroupSession(TenantOwnedModel):
    """A group session (e.g. CV preparation); each attendance counts as a counselling visit."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    version = models.PositiveIntegerField(default=1)
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="sessions")
    topic = models.CharField(max_length=200)
    held_at = models.DateTimeField()
    facilitators = ArrayField(models.CharField(max_length=200), default=list, blank=True)
    partner_institution = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=200)

    class Meta:
        ordering = ["tenant_id", "-held_at"]

    def __str__(self) -> str:
        return f"session {self.topic}"


class Visit(TenantOwnedModel):
    """One contact of a client with a centre and the services given.

    `client_profile` keeps the client's coded attributes as they were at the time of the visit,
    so the quarterly figures stay what they were even after the client's record changes.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    version = models.PositiveIntegerField(default=1)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="visits")
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="visits")
    counsellor_subject = models.CharField(max_length=100)
    counsellor_username = models.CharField(max_length=200)
    occurred_at = models.DateTimeField()
    channel = models.CharField(max_length=10, choices=choices.Channel.choices)
    services = ArrayField(models.CharField(max_length=12, choices=choices.Service.choices))
    topics = ArrayField(models.CharField(max_length=25, choices=choices.Topic.choices),
                        default=list, blank=True)
    destinations_discussed = ArrayField(models.CharField(max_length=2), default=list, blank=True)
    note = models.TextField(blank=True)
    group_session = models.ForeignKey(GroupSession, null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="attendances")
    client_profile = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["tenant_id", "-occurred_at"]
        indexes = [models.Index(fields=["tenant", "occurred_at"], name="intake_visit_occurred")]
        constraints = [
            models.UniqueConstraint(fields=["group_session", "client"],
                                    name="intake_visit_one_attendance"),
        ]

    def __str__(self) -> str:
        return f"visit {self.id}"


class AuditEntry(TenantOwnedModel):
    """Who read or changed a client's personal data, when, what and from where."""

    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor_subject = models.CharField(max_length=100)
    actor_username = models.CharField(max_length=200)
    action = models.CharField(max_length=20)
    client_id = models.UUIDField(null=True, blank=True, db_index=True)
    fields = ArrayField(models.CharField(max_length=50), default=list, blank=True)
    remote_addr = models.CharField(max_length=64, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} {self.client_id} by {self.actor_username}"


class SyncItem(TenantOwnedModel):
    """An item of a bulk sync, by the key the device gave it: a resent item creates nothing.

    Centres with poor connectivity keep records offline and send them in batches; each item
    carries its own key (a UUID made on the device), so a batch cut off in transit can be sent
    again whole, and a visit can name a client registered in the same or an earlier batch.
    """

    class Kind(models.TextChoices):
        CLIENT = "client", "client"
        VISIT = "visit", "visit"

    id = models.BigAutoField(primary_key=True)
    key = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    object_id = models.UUIDField()
    synced_by = models.CharField(max_length=200)
    synced_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "key"], name="intake_syncitem_one_key"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"
