"""The tenants: one national employment service per country, keyed by ISO 3166 code."""

from __future__ import annotations

from django.db import models

TENANT_NAMES: dict[str, str] = {
    "AL": "Albania",
    "BA": "Bosnia and Herzegovina",
    "HR": "Croatia",
    "XK": "Kosovo",
    "MK": "North Macedonia",
    "ME": "Montenegro",
    "RS": "Serbia",
}
TENANT_CODES: frozenset[str] = frozenset(TENANT_NAMES)


class Tenant(models.Model):
    """A national employment service. Reference data, readable by every role."""

    code = models.CharField(primary_key=True, max_length=2)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class TenantOwnedModel(models.Model):
    """Base of every tenant-owned table: a `tenant_id` column that row-level security keys on.

    A concrete subclass's migration must add `services.tenancy.rls.enable_tenant_isolation(...)`.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, db_column="tenant_id",
                               related_name="+", editable=False)

    class Meta:
        abstract = True
