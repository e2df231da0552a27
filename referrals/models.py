"""Referral records: the directory of institutions (shaped on Open Referral HSDS 3), each tenant's
routing settings, referrals with every transition, notifications and webhooks.

Directory rows belong to a tenant, or to nobody (`tenant_id` NULL): those are the regional
office's shared entries, visible to every tenant and writable only outside any tenant's context.
Everything else is tenant-owned and protected by row-level security like intake's records.
"""

from __future__ import annotations

import uuid

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models

from intake.models import Client
from referrals.workflow import Action, State
from services.tenancy.models import Tenant, TenantOwnedModel


class Taxonomy(models.Model):
    """A taxonomy of needs or eligibility terms. Reference data shared by every tenant."""

    id = models.UUIDField(primary_key=True)
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    uri = models.CharField(max_length=300, blank=True)
    version = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TaxonomyTerm(models.Model):
    """A term: a kind of skills development (a need), an ISCO-08 field, or an eligibility code."""

    id = models.UUIDField(primary_key=True)
    code = models.CharField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="children")
    taxonomy = models.ForeignKey(Taxonomy, on_delete=models.PROTECT, related_name="terms")
    language = models.CharField(max_length=10, default="en")

    class Meta:
        ordering = ["taxonomy_id", "code"]

    def __str__(self) -> str:
        return self.code


class DirectoryModel(models.Model):
    """Base of directory tables: a tenant's own entry, or a shared one (no tenant)."""

    tenant = models.ForeignKey(Tenant, null=True, blank=True, on_delete=models.PROTECT,
                               db_column="tenant_id", related_name="+", editable=False)

    class Meta:
        abstract = True


class Organization(DirectoryModel):
    """An institution that takes referrals. `code` is what its partner users carry in Keycloak
    (the `institution` attribute), so a partner is tied to exactly one organization."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    code = models.CharField(max_length=100)
    name = models.CharField(max_length=200)
    alternate_name = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    email = models.CharField(max_length=200, blank=True)
    website = models.CharField(max_length=300, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], nulls_distinct=False,
                                    name="referrals_organization_unique_code"),
        ]

    def __str__(self) -> str:
        return self.name


class Location(DirectoryModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE,
                                     related_name="locations")
    name = models.CharField(max_length=200, blank=True)
    location_type = models.CharField(max_length=10, default="physical")
    municipality_code = models.CharField(max_length=20, blank=True)
    address_1 = models.CharField(max_length=300, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["organization_id", "name", "id"]

    def __str__(self) -> str:
        return self.name or str(self.id)


class Service(DirectoryModel):
    """A service of an organization (a course, a programme) with eligibility and capacity."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE,
                                     related_name="services")
    name = models.CharField(max_length=200)
    alternate_name = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    email = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=20, default="active")
    fees_description = models.TextField(blank=True)
    free = models.BooleanField(default=True)
    cost_amount = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    cost_currency = models.CharField(max_length=3, blank=True)
    eligibility_description = models.TextField(blank=True)
    minimum_age = models.PositiveSmallIntegerField(null=True, blank=True)
    maximum_age = models.PositiveSmallIntegerField(null=True, blank=True)
    application_process = models.TextField(blank=True)
    schedule_description = models.TextField(blank=True)
    languages = ArrayField(models.CharField(max_length=2), default=list, blank=True)
    target_groups = ArrayField(models.CharField(max_length=30), default=list, blank=True)
    minimum_education = models.CharField(max_length=6, blank=True)
    seats_total = models.PositiveIntegerField(null=True, blank=True)
    seats_available = models.PositiveIntegerField(null=True, blank=True)
    waiting_list_open = models.BooleanField(default=False)
    waiting_list_length = models.PositiveIntegerField(default=0)
    next_intake_date = models.DateField(null=True, blank=True)
    contact_name = models.CharField(max_length=200, blank=True)
    contact_email = models.CharField(max_length=200, blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)
    taxonomy_term_ids = ArrayField(models.UUIDField(), default=list, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [GinIndex(fields=["taxonomy_term_ids"], name="referrals_service_terms")]

    def __str__(self) -> str:
        return self.name


class ServiceAtLocation(DirectoryModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="at_locations")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="services_at")

    class Meta:
        ordering = ["service_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["service", "location"],
                                    name="referrals_service_at_location_once"),
        ]

    def __str__(self) -> str:
        return f"{self.service_id}@{self.location_id}"


class RoutingSettings(TenantOwnedModel):
    """A tenant's routing weights and referral answer deadline (working days, holidays)."""

    id = models.BigAutoField(primary_key=True)
    weight_distance = models.FloatField(default=0.35)
    weight_capacity = models.FloatField(default=0.25)
    weight_waiting = models.FloatField(default=0.2)
    weight_record = models.FloatField(default=0.2)
    answer_working_days = models.PositiveSmallIntegerField(default=5)
    holidays = ArrayField(models.DateField(), default=list, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="referrals_routing_settings_once"),
        ]

    def __str__(self) -> str:
        return f"routing settings {self.tenant_id}"


class Referral(TenantOwnedModel):
    """A client sent to a service for a need, and where that stands.

    `suggestions` keeps the ranking the counsellor saw (ids, scores, explanations), and
    `suggestion_rank` where the chosen service stood in it (None: chosen outside the list), so
    routing quality can be measured later.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    version = models.PositiveIntegerField(default=1)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="referrals")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="referrals")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT,
                                     related_name="referrals")
    need = models.ForeignKey(TaxonomyTerm, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=15, choices=[(s.value, s.value) for s in State],
                             default=State.DRAFT)
    languages = ArrayField(models.CharField(max_length=2), default=list, blank=True)
    note_for_partner = models.TextField(blank=True)
    suggestions = models.JSONField(default=list, blank=True)
    suggestion_rank = models.PositiveSmallIntegerField(null=True, blank=True)
    top_suggestion = models.ForeignKey(Service, null=True, blank=True,
                                       on_delete=models.SET_NULL, related_name="+")
    sent_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)
    outcome = models.CharField(max_length=40, blank=True)
    created_by_subject = models.CharField(max_length=100)
    created_by_username = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["tenant_id", "-created_at", "id"]
        indexes = [
            models.Index(fields=["tenant", "organization", "-created_at", "-id"],
                         name="referrals_inbox_by_time"),
            models.Index(fields=["state", "due_at"], name="referrals_due"),
            models.Index(fields=["tenant", "client"], name="referrals_of_client"),
        ]

    def __str__(self) -> str:
        return f"referral {self.id} ({self.state})"


class ReferralTransition(TenantOwnedModel):
    """One step of a referral: who moved it, when, from where to where and why."""

    id = models.BigAutoField(primary_key=True)
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="transitions")
    action = models.CharField(max_length=15, choices=[(a.value, a.value) for a in Action])
    from_state = models.CharField(max_length=15, blank=True)
    to_state = models.CharField(max_length=15)
    at = models.DateTimeField()
    actor_subject = models.CharField(max_length=100)
    actor_username = models.CharField(max_length=200)
    actor_kind = models.CharField(max_length=10)
    reason = models.TextField(blank=True)
    outcome = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["referral_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.from_state} -> {self.to_state}"


class Notification(TenantOwnedModel):
    """An in-app message to one user (by Keycloak subject), e.g. a referral answered or expired."""

    id = models.BigAutoField(primary_key=True)
    recipient_subject = models.CharField(max_length=100)
    referral = models.ForeignKey(Referral, null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="notifications")
    kind = models.CharField(max_length=30)
    message = models.TextField()
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "recipient_subject", "-created_at"],
                                name="referrals_notifications_inbox")]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_subject}"


class Webhook(TenantOwnedModel):
    """An institution's endpoint that receives its referrals' events, signed with `secret`."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE,
                                     related_name="webhooks")
    url = models.CharField(max_length=500)
    secret = models.CharField(max_length=100)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(TenantOwnedModel):
    """One event for one webhook, and each attempt to deliver it: the delivery log."""

    class Status(models.TextChoices):
        PENDING = "pending", "pending"
        DELIVERED = "delivered", "delivered"
        FAILED = "failed", "failed"

    id = models.BigAutoField(primary_key=True)
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.UUIDField()
    event_type = models.CharField(max_length=100)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"],
                                name="referrals_webhook_due")]
        constraints = [
            models.UniqueConstraint(fields=["webhook", "event_id"],
                                    name="referrals_webhook_event_once"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} -> {self.webhook_id} ({self.status})"
