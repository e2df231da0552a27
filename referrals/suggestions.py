"""Routing on the directory: the candidate services for a client's need, ranked and explained.

`referrals.routing` does the ranking on plain values; this module gathers those values from
PostgreSQL in a fixed number of queries, whatever the size of the directory: the services that
offer the need, their locations, the institutions' record from past referrals, the tenant's
weights. Everything runs in the caller's tenant context, so row-level security decides which
directory entries (own and shared) and which past referrals are seen.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from django.db import connection
from django.db.models import Q

from intake.models import Client
from intake.profiles import age_on
from referrals import geography
from referrals.models import Location, RoutingSettings, Service, TaxonomyTerm
from referrals.routing import (
    Candidate,
    ClientFacts,
    InstitutionRecord,
    Ranking,
    Weights,
    client_target_groups,
    rank,
)
from referrals.workflow import State

# The languages a tenant's clients are served in unless the counsellor says otherwise.
TENANT_LANGUAGES: dict[str, tuple[str, ...]] = {
    "AL": ("sq",), "XK": ("sq", "sr"), "BA": ("bs", "hr", "sr"), "HR": ("hr",),
    "MK": ("mk", "sq"), "ME": ("sr",), "RS": ("sr",),
}

_ANSWERED_NOT_DECLINED = tuple(
    s.value for s in (State.ACCEPTED, State.IN_PROGRESS, State.ON_HOLD, State.COMPLETED,
                      State.NOT_COMPLETED, State.CANCELLED))


@dataclass(frozen=True)
class RoutingRequest:
    client: Client
    need: TaxonomyTerm
    languages: tuple[str, ...]
    extra_target_groups: tuple[str, ...] = ()


def routing_settings(tenant_id: str) -> RoutingSettings:
    """The tenant's routing settings, created with the defaults on first use."""
    settings, _ = RoutingSettings.objects.get_or_create(tenant_id=tenant_id)
    return settings


def weights_of(settings: RoutingSettings) -> Weights:
    return Weights(distance=settings.weight_distance, capacity=settings.weight_capacity,
                   waiting=settings.weight_waiting, record=settings.weight_record)


def client_facts(client: Client, languages: tuple[str, ...], extra_groups: tuple[str, ...],
                 today: date) -> ClientFacts:
    age = age_on(client, today)
    groups = client_target_groups(client.category, client.sex, age, client.employment_status,
                                  extra_groups)
    return ClientFacts(age=age, education_level=client.education_level, target_groups=groups,
                       municipality_code=client.municipality_code,
                       languages=languages or TENANT_LANGUAGES.get(client.tenant_id, ()))


def institution_records(organization_ids: list[UUID]) -> dict[UUID, InstitutionRecord]:
    """Each institution's record from the referrals this tenant sent it (row-level security)."""
    if not organization_ids:
        return {}
    sql = """
        SELECT organization_id,
               count(*) FILTER (WHERE answered_at IS NOT NULL),
               count(*) FILTER (WHERE answered_at IS NOT NULL AND state = ANY(%s)),
               count(*) FILTER (WHERE state = 'declined'),
               count(*) FILTER (WHERE state IN ('completed', 'not_completed')),
               count(*) FILTER (WHERE state = 'completed'),
               percentile_cont(0.5) WITHIN GROUP (
                   ORDER BY extract(epoch FROM answered_at - sent_at) / 3600.0)
                   FILTER (WHERE answered_at IS NOT NULL AND sent_at IS NOT NULL)
          FROM referrals_referral
         WHERE organization_id = ANY(%s)
         GROUP BY organization_id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [list(_ANSWERED_NOT_DECLINED), organization_ids])
        rows = cursor.fetchall()
    return {
        row[0]: InstitutionRecord(answered=row[1], accepted=row[2], declined=row[3],
                                  finished=row[4], completed=row[5],
                                  median_hours_to_answer=None if row[6] is None else float(row[6]))
        for row in rows
    }


def _locations_by_service(service_ids: list[UUID]) -> dict[UUID, list[Location]]:
    by_service: dict[UUID, list[Location]] = defaultdict(list)
    rows = (Location.objects.filter(services_at__service_id__in=service_ids)
            .values_list("services_at__service_id", "municipality_code", "latitude",
                         "longitude", "location_type"))
    for service_id, municipality, lat, lon, kind in rows:
        by_service[service_id].append(Location(municipality_code=municipality, latitude=lat,
                                               longitude=lon, location_type=kind))
    return by_service


def candidates_for(need: TaxonomyTerm, client_municipality: str,
                   exclude_service_ids: frozenset[UUID] = frozenset()) -> list[Candidate]:
    """Every active service of the tenant's directory (own and shared) that offers `need`."""
    services = list(
        Service.objects.filter(taxonomy_term_ids__contains=[need.id], status="active")
        .exclude(id__in=exclude_service_ids)
        .select_related("organization")
        .only("id", "name", "languages", "target_groups", "minimum_age", "maximum_age",
              "minimum_education", "seats_total", "seats_available", "waiting_list_open",
              "waiting_list_length", "next_intake_date", "organization__id",
              "organization__name"))
    locations = _locations_by_service([s.id for s in services])
    records = institution_records(list({s.organization_id for s in services}))
    home = geography.point_of(client_municipality)
    empty = InstitutionRecord.empty()
    candidates = []
    for service in services:
        places = locations.get(service.id, [])
        distances = [
            geography.distance_km(home, point) for place in places
            if home is not None and (point := geography.point_of(
                place.municipality_code, place.latitude, place.longitude)) is not None
        ]
        candidates.append(Candidate(
            service_id=str(service.id), service_name=service.name,
            organization_id=str(service.organization.id),
            organization_name=service.organization.name,
            municipality_codes=tuple(p.municipality_code for p in places if p.municipality_code),
            distance_km=min(distances) if distances else None,
            online=any(p.location_type == "virtual" for p in places),
            languages=tuple(service.languages), target_groups=tuple(service.target_groups),
            minimum_age=service.minimum_age, maximum_age=service.maximum_age,
            minimum_education=service.minimum_education, seats_total=service.seats_total,
            seats_available=service.seats_available,
            waiting_list_open=service.waiting_list_open,
            waiting_list_length=service.waiting_list_length,
            next_intake_date=service.next_intake_date,
            record=records.get(service.organization_id, empty),
        ))
    return candidates


def suggest(request: RoutingRequest, today: date,
            exclude_service_ids: frozenset[UUID] = frozenset()) -> Ranking:
    """The ranked, explained suggestions for one client's need."""
    client = request.client
    facts = client_facts(client, request.languages, request.extra_target_groups, today)
    weights = weights_of(routing_settings(client.tenant_id))
    return rank(candidates_for(request.need, client.municipality_code, exclude_service_ids),
                facts, weights, today)


def need_terms() -> Q:
    """The terms a referral may be for: the skills kinds and ISCO-08 fields."""
    return Q(taxonomy__name__in=("msc-skills", "isco-08"))
