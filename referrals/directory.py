"""A tenant's directory of institutions: reading it, changing a service, and importing or
exporting it whole as an HSDS data package.

The directory a caller works on is their tenant's own entries; the regional office (a caller
without a tenant) works on the shared entries every tenant sees. Row-level security enforces the
same split in PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypedDict
from uuid import UUID

from django.db import DataError, IntegrityError, transaction
from django.db.models import BooleanField, Case, Model, Q, QuerySet, Value, When
from django.utils import timezone
from rest_framework.exceptions import NotFound, ValidationError

from referrals import events, hsds
from referrals.hsds import (
    LocationRecord,
    OrganizationRecord,
    Package,
    ServiceAtLocationRecord,
    ServiceRecord,
)
from referrals.models import (
    Location,
    Organization,
    Service,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
)
from services.api.concurrency import VersionConflict
from services.auth.tokens import Principal
from services.events.topics import DIRECTORY
from services.outbox.services import outbox_append

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

CAPACITY_FIELDS = ("seats_total", "seats_available", "waiting_list_open", "waiting_list_length")


class Ownership(TypedDict):
    """What `directory_services` adds to each service."""

    own: bool


def own_entries(principal: Principal) -> Q:
    """The entries the caller may change: their tenant's, or the shared ones (regional office)."""
    return Q(tenant_id=principal.tenant) if principal.tenant else Q(tenant__isnull=True)


def visible_entries(principal: Principal) -> Q:
    """The entries the caller sees: their tenant's and the shared ones."""
    return Q(tenant__isnull=True) | Q(tenant_id=principal.tenant) if principal.tenant \
        else Q(tenant__isnull=True)


def directory_services(principal: Principal) -> QuerySet[WithAnnotations[Service, Ownership]]:
    """The services the caller sees, each with `own`: whether it is theirs to change (their
    tenant's; for the regional office, the shared ones). Theirs come first."""
    return (Service.objects.filter(visible_entries(principal))
            # Case, not the bare condition: `tenant_id = 'AL'` is NULL, not false, on a
            # shared row, and NULL would sort first.
            .annotate(own=Case(When(own_entries(principal), then=Value(True)),
                               default=Value(False), output_field=BooleanField()))
            .select_related("organization")
            .order_by("-own", "organization__name", "name", "id"))


# --- Records <-> rows -------------------------------------------------------------------------

def organization_record(row: Organization) -> OrganizationRecord:
    return OrganizationRecord(id=str(row.id), code=row.code, name=row.name,
                              alternate_name=row.alternate_name, description=row.description,
                              email=row.email, website=row.website, phone=row.phone)


def location_record(row: Location) -> LocationRecord:
    return LocationRecord(id=str(row.id), organization_id=str(row.organization_id),
                          name=row.name, location_type=row.location_type,
                          municipality_code=row.municipality_code, address_1=row.address_1,
                          city=row.city, postal_code=row.postal_code, latitude=row.latitude,
                          longitude=row.longitude)


SERVICE_COPIED = (
    "name", "alternate_name", "description", "url", "email", "status", "fees_description", "free",
    "cost_amount", "cost_currency", "eligibility_description", "minimum_age", "maximum_age",
    "application_process", "schedule_description", "minimum_education", "seats_total",
    "seats_available", "waiting_list_open", "waiting_list_length", "next_intake_date",
    "contact_name", "contact_email", "contact_phone",
)


def service_record(row: Service) -> ServiceRecord:
    return ServiceRecord(
        id=str(row.id), organization_id=str(row.organization_id),
        languages=tuple(row.languages), target_groups=tuple(row.target_groups),
        taxonomy_term_ids=tuple(str(t) for t in row.taxonomy_term_ids),
        **{name: getattr(row, name) for name in SERVICE_COPIED})


def service_at_location_record(row: ServiceAtLocation) -> ServiceAtLocationRecord:
    return ServiceAtLocationRecord(id=str(row.id), service_id=str(row.service_id),
                                   location_id=str(row.location_id))


def _service_fields(record: ServiceRecord) -> dict[str, Any]:
    return {"organization_id": UUID(record.organization_id), "languages": list(record.languages),
            "target_groups": list(record.target_groups),
            "taxonomy_term_ids": [UUID(t) for t in record.taxonomy_term_ids],
            **{name: getattr(record, name) for name in SERVICE_COPIED}}


# --- Export and import ------------------------------------------------------------------------

def directory_export(principal: Principal) -> Package:
    """The caller's own directory (not the shared entries) and the taxonomies it uses."""
    mine = own_entries(principal)
    services = [service_record(s) for s in Service.objects.filter(mine).order_by("id")]
    used_terms = {t for s in services for t in s.taxonomy_term_ids}
    terms = TaxonomyTerm.objects.filter(id__in=used_terms).order_by("id")
    return Package(
        organizations=tuple(organization_record(o)
                            for o in Organization.objects.filter(mine).order_by("id")),
        locations=tuple(location_record(loc)
                        for loc in Location.objects.filter(mine).order_by("id")),
        services=tuple(services),
        service_at_locations=tuple(service_at_location_record(sal) for sal in
                                   ServiceAtLocation.objects.filter(mine).order_by("id")),
        taxonomies=tuple(hsds.TaxonomyRecord(id=str(t.id), name=t.name,
                                             description=t.description, uri=t.uri,
                                             version=t.version)
                         for t in Taxonomy.objects.filter(
                             id__in=terms.values("taxonomy_id")).order_by("id")),
        taxonomy_terms=tuple(hsds.TaxonomyTermRecord(
            id=str(t.id), code=t.code, name=t.name, description=t.description,
            parent_id=str(t.parent_id) if t.parent_id else None, taxonomy_id=str(t.taxonomy_id),
            language=t.language) for t in terms),
    )


def known_term_ids() -> set[str]:
    return {str(t) for t in TaxonomyTerm.objects.values_list("id", flat=True)}


def _foreign_ids(model: type[Model], ids: Iterable[str], principal: Principal) -> list[str]:
    """Ids in the package that belong to visible entries the caller may not change (a tenant
    importing the id of a shared entry)."""
    wanted = [UUID(i) for i in ids]
    with_tenant = model._default_manager.filter(id__in=wanted)
    return sorted(str(i) for i in with_tenant.exclude(own_entries(principal))
                  .values_list("id", flat=True))


def directory_import(principal: Principal, package: Package) -> dict[str, int]:
    """Make the caller's directory equal to `package`, all or nothing.

    Entries with the package's ids are created or updated, the caller's entries missing from it
    are removed (or, for services that referrals name, marked defunct). An id that belongs to
    another tenant's directory is a problem, never an update of their entry.
    """
    if not package.organizations:
        raise hsds.PackageInvalid([
            "the package has no organizations: importing it would empty your directory"])
    problems: list[str] = []
    for label, model, records in (("organizations", Organization, package.organizations),
                                  ("locations", Location, package.locations),
                                  ("services", Service, package.services)):
        clash = _foreign_ids(model, (r.id for r in records), principal)
        problems += [f"{label}: id {i} is a shared entry of the regional directory"
                     for i in clash]
    problems += _too_long(package)
    if problems:
        raise hsds.PackageInvalid(problems)
    tenant_id = principal.tenant
    mine = own_entries(principal)
    counts = {"organizations": 0, "locations": 0, "services": 0, "service_at_locations": 0}
    try:
        with transaction.atomic():
            for org in package.organizations:
                Organization.objects.update_or_create(id=UUID(org.id), defaults={
                    "tenant_id": tenant_id, "code": org.code, "name": org.name,
                    "alternate_name": org.alternate_name, "description": org.description,
                    "email": org.email, "website": org.website, "phone": org.phone})
                counts["organizations"] += 1
            for loc in package.locations:
                Location.objects.update_or_create(id=UUID(loc.id), defaults={
                    "tenant_id": tenant_id, "organization_id": UUID(loc.organization_id),
                    "name": loc.name, "location_type": loc.location_type,
                    "municipality_code": loc.municipality_code, "address_1": loc.address_1,
                    "city": loc.city, "postal_code": loc.postal_code,
                    "latitude": loc.latitude, "longitude": loc.longitude})
                counts["locations"] += 1
            for service in package.services:
                Service.objects.update_or_create(
                    id=UUID(service.id),
                    defaults={"tenant_id": tenant_id, **_service_fields(service)})
                counts["services"] += 1
            ServiceAtLocation.objects.filter(mine).exclude(
                id__in=[UUID(s.id) for s in package.service_at_locations]).delete()
            for sal in package.service_at_locations:
                ServiceAtLocation.objects.update_or_create(id=UUID(sal.id), defaults={
                    "tenant_id": tenant_id, "service_id": UUID(sal.service_id),
                    "location_id": UUID(sal.location_id)})
                counts["service_at_locations"] += 1
            _remove_missing(mine, package)
    except IntegrityError as exc:
        # Another tenant's rows are invisible here (row-level security), so a clash with one
        # shows up only now; the database's message is not passed on, it would describe them.
        raise hsds.PackageInvalid([
            "some ids of the package are taken by entries outside your directory, or two "
            "entries clash on a unique field (an organization code); give them new ids or "
            "codes"]) from exc
    except (DataError, OverflowError) as exc:
        # What the package checks do not catch yet: a NUL character in a text, a number beyond
        # what the directory stores. The package's mistake, not the server's.
        raise hsds.PackageInvalid([
            "a value does not fit the directory: a text with a NUL character, or a number out "
            "of range"]) from exc
    return counts


def _too_long(package: Package) -> list[str]:
    """Values longer than their column allows (the package format itself sets no lengths)."""
    problems = []
    for label, model, records in (("organizations", Organization, package.organizations),
                                  ("locations", Location, package.locations),
                                  ("services", Service, package.services)):
        limits = {f.name: f.max_length for f in model._meta.concrete_fields
                  if f.get_internal_type() == "CharField" and f.max_length}
        for index, record in enumerate(records):
            for name, limit in limits.items():
                value = getattr(record, name, None)
                if isinstance(value, str) and limit is not None and len(value) > limit:
                    problems.append(f"{label}[{index}].{name}: at most {limit} characters, "
                                    f"got {len(value)}")
    return problems


def _remove_missing(mine: Q, package: Package) -> None:
    keep_services = [UUID(s.id) for s in package.services]
    gone = Service.objects.filter(mine).exclude(id__in=keep_services)
    gone.filter(referrals__isnull=False).update(status="defunct")
    gone.filter(referrals__isnull=True).delete()
    Location.objects.filter(mine).exclude(
        id__in=[UUID(loc.id) for loc in package.locations]).delete()
    Organization.objects.filter(mine).exclude(
        id__in=[UUID(o.id) for o in package.organizations]).filter(
        referrals__isnull=True, services__isnull=True).delete()


# --- Changing one service ---------------------------------------------------------------------

def service_update(principal: Principal, service_id: UUID, expected_version: int,
                   changes: dict[str, Any], now: datetime | None = None) -> Service:
    """Change a service of the caller's own directory; a capacity change is announced."""
    try:
        service = Service.objects.select_for_update().get(own_entries(principal), id=service_id)
    except Service.DoesNotExist as missing:
        raise NotFound("not found") from missing
    if service.version != expected_version:
        raise VersionConflict(service.version)
    before = tuple(getattr(service, name) for name in CAPACITY_FIELDS)
    for name, value in changes.items():
        setattr(service, name, value)
    if (service.seats_total is not None and service.seats_available is not None
            and service.seats_available > service.seats_total):
        raise ValidationError({"seats_available": ["cannot exceed seats_total"]})
    if (service.minimum_age is not None and service.maximum_age is not None
            and service.minimum_age > service.maximum_age):
        raise ValidationError({"minimum_age": ["cannot exceed maximum_age"]})
    service.version += 1
    service.save()
    # Shared entries have no tenant to publish under (the outbox is per tenant): their
    # capacity is read from the directory itself.
    changed = tuple(getattr(service, name) for name in CAPACITY_FIELDS) != before
    if changed and service.tenant_id is not None:
        _announce_capacity(service, service.tenant_id, now or timezone.now())
    return service


def _announce_capacity(service: Service, tenant_id: str, now: datetime) -> None:
    outbox_append(
        tenant_id=tenant_id, topic=DIRECTORY.name,
        event_type=events.SERVICE_CAPACITY_CHANGED, subject=str(service.id),
        aggregate_id=str(service.id), aggregate_version=service.version,
        payload=events.ServiceCapacityChanged(
            service_id=str(service.id), organization_id=str(service.organization_id),
            shared=service.tenant_id is None, seats_total=service.seats_total,
            seats_available=service.seats_available,
            waiting_list_open=service.waiting_list_open,
            waiting_list_length=service.waiting_list_length, changed_at=now))
