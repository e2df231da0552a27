"""Reads of intake records. Row-level security scopes every query to the caller's tenant; the
explicit tenant filter here is the second wall, so a missing tenant setting still shows nothing."""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet
from rest_framework.exceptions import NotFound

from intake.models import Centre
from services.auth.tokens import Principal


def centre_list(*, principal: Principal, active: bool | None = None) -> QuerySet[Centre]:
    """Centres of the caller's tenant."""
    centres = Centre.objects.filter(tenant_id=principal.tenant)
    if active is not None:
        centres = centres.filter(active=active)
    return centres


def centre_get(*, principal: Principal, centre_id: UUID) -> Centre:
    """A centre of the caller's tenant; another tenant's answers exactly like a missing one."""
    centre = Centre.objects.filter(tenant_id=principal.tenant, id=centre_id).first()
    if centre is None:
        raise NotFound("not found")
    return centre
