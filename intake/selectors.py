"""Reads of intake records. Row-level security scopes every query to the caller's tenant; the
explicit tenant filter here is the second wall, so a missing tenant setting still shows nothing."""

from __future__ import annotations

from django.db.models import QuerySet

from intake.models import Centre
from services.auth.tokens import Principal


def centre_list(*, principal: Principal, active: bool | None = None) -> QuerySet[Centre]:
    """Centres of the caller's tenant, by name."""
    centres = Centre.objects.filter(tenant_id=principal.tenant).order_by("name")
    if active is not None:
        centres = centres.filter(active=active)
    return centres
