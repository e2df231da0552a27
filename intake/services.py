"""Every change to intake records, each in one transaction.

Views only parse input and call these functions. Each function acts for the principal's tenant:
row-level security hides other tenants' rows, and the look-ups filter by tenant as well, so
another tenant's record answers exactly like a missing one.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db import transaction
from rest_framework.exceptions import NotFound, ValidationError

from intake.models import Centre
from services.api.concurrency import VersionConflict
from services.auth.tokens import Principal


def _tenant(actor: Principal) -> str:
    if actor.tenant is None:
        raise NotFound("not found")
    return actor.tenant


def _centre_for_update(actor: Principal, centre_id: UUID) -> Centre:
    centre = (Centre.objects.select_for_update()
              .filter(tenant_id=_tenant(actor), id=centre_id).first())
    if centre is None:
        raise NotFound("centre not found")
    return centre


def _check_unique_name(tenant_id: str, name: str, *, exclude: UUID | None = None) -> None:
    same = Centre.objects.filter(tenant_id=tenant_id, name__iexact=name)
    if exclude is not None:
        same = same.exclude(id=exclude)
    if same.exists():
        raise ValidationError({"name": ["a centre with this name exists in your tenant"]})


def centre_create(*, actor: Principal, name: str, municipality_code: str, kind: str,
                  active: bool = True) -> Centre:
    """Open a centre in the actor's tenant; names are unique within a tenant."""
    tenant_id = _tenant(actor)
    with transaction.atomic():
        _check_unique_name(tenant_id, name)
        return Centre.objects.create(tenant_id=tenant_id, name=name,
                                     municipality_code=municipality_code, kind=kind,
                                     active=active)


def centre_update(*, actor: Principal, centre_id: UUID, expected_version: int,
                  changes: dict[str, Any]) -> Centre:
    """Change a centre if nobody changed it since `expected_version` was read."""
    with transaction.atomic():
        centre = _centre_for_update(actor, centre_id)
        if centre.version != expected_version:
            raise VersionConflict(centre.version)
        if "name" in changes:
            _check_unique_name(centre.tenant_id, changes["name"], exclude=centre.id)
        for field_name, value in changes.items():
            setattr(centre, field_name, value)
        centre.version += 1
        centre.save()
        return centre
