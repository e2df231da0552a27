"""Routing on the directory: the candidate services for a client's need, ranked and explained.

`referrals.routing` does the ranking on plain values; this module gathers those values from
PostgreSQL in a fixed number of queries, whatever the size of the directory: the services that
offer the need, their locations, the institutions' record from past referrals, the tenant's
weights. Everything runs in the caller's tenant context, so row-level security decides which
directory entries (own and shared) and which past referrals are seen.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Max, Q

from intake.models import Client
from intake.profiles import age_on
from referrals import geography
from referrals.models import RoutingSettings, Service, ServiceAtLocation, TaxonomyTerm
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


RECORDS_CACHE_SECONDS = 60


def _records_key(tenant_id: str) -> str:
    return f"referrals:institution-records:{tenant_id}"


def forget_institution_records(tenant_id: str) -> None:
    """Called when a referral changes state, so the next ranking sees the new record."""
    cache.delete(_records_key(tenant_id))


def institution_records(tenant_id: str) -> tuple[float, dict[UUID, InstitutionRecord]]:
    """Each institution's record from the referrals this tenant sent it (row-level security),
    and when it was computed (a version for the candidates' memo).

    Aggregating every past referral costs more than ranking itself, and a record describes
    months of answers, so it is cached for a minute and forgotten on every transition.
    """
    cached: tuple[float, dict[UUID, InstitutionRecord]] | None = cache.get(
        _records_key(tenant_id))
    if cached is not None:
        return cached
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
         WHERE tenant_id = %s AND sent_at IS NOT NULL
         GROUP BY organization_id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [list(_ANSWERED_NOT_DECLINED), tenant_id])
        rows = cursor.fetchall()
    records = {
        row[0]: InstitutionRecord(answered=row[1], accepted=row[2], declined=row[3],
                                  finished=row[4], completed=row[5],
                                  median_hours_to_answer=None if row[6] is None else float(row[6]))
        for row in rows
    }
    result = (time.time(), records)
    cache.set(_records_key(tenant_id), result, RECORDS_CACHE_SECONDS)
    return result


_SERVICE_COLUMNS = (
    "id", "name", "organization_id", "organization__name", "languages", "target_groups",
    "minimum_age", "maximum_age", "minimum_education", "seats_total", "seats_available",
    "waiting_list_open", "waiting_list_length", "next_intake_date")


# Candidates built for a (tenant, need, client municipality), with the fingerprint of what they
# were built from. Each process keeps its own, and every use first checks the fingerprint
# against PostgreSQL, so a memo never serves a directory that has changed since.
_MEMO: dict[tuple[str, UUID, str], tuple[tuple[object, ...], list[Candidate]]] = {}
MEMO_ENTRIES = 512


def candidates_for(need: TaxonomyTerm, client_municipality: str, tenant_id: str,
                   exclude_service_ids: frozenset[UUID] = frozenset()) -> list[Candidate]:
    """Every active service of the tenant's directory (own and shared) that offers `need`.

    A directory changes rarely (an import, an edited service) while routing runs all day, so the
    candidates are remembered per need and client municipality, under a fingerprint: how many
    services offer the need, when the latest of them changed (imports and edits save every
    service they touch), and the version of the institutions' records.
    """
    offering = Q(taxonomy_term_ids__contains=[need.id], status="active")
    stamp = Service.objects.filter(offering).aggregate(count=Count("id"),
                                                       latest=Max("updated_at"))
    version, records = institution_records(tenant_id)
    fingerprint = (stamp["count"], stamp["latest"], version)
    key = (tenant_id, need.id, client_municipality)
    memo = _MEMO.get(key)
    if memo is None or memo[0] != fingerprint:
        if len(_MEMO) >= MEMO_ENTRIES:
            _MEMO.clear()
        memo = _MEMO[key] = (fingerprint, _build_candidates(offering, client_municipality,
                                                            records))
    if not exclude_service_ids:
        return memo[1]
    excluded = {str(service_id) for service_id in exclude_service_ids}
    return [c for c in memo[1] if c.service_id not in excluded]


def _build_candidates(offering: Q, client_municipality: str,
                      records: dict[UUID, InstitutionRecord]) -> list[Candidate]:
    """Plain rows rather than model instances: a directory may offer a need in thousands of
    services, and building objects would cost more than ranking them."""
    services = Service.objects.filter(offering).values_list(*_SERVICE_COLUMNS)
    places: dict[UUID, list[tuple[str, float | None, float | None, str]]] = defaultdict(list)
    for service_id, municipality, lat, lon, kind in (
            ServiceAtLocation.objects.filter(service__in=Service.objects.filter(offering))
            .values_list("service_id", "location__municipality_code", "location__latitude",
                         "location__longitude", "location__location_type")):
        places[service_id].append((municipality, lat, lon, kind))
    home = geography.point_of(client_municipality)
    distances: dict[tuple[str, float | None, float | None], float | None] = {}

    def distance(municipality: str, lat: float | None, lon: float | None) -> float | None:
        key = (municipality, lat, lon)
        if key not in distances:
            point = geography.point_of(municipality, lat, lon)
            distances[key] = (None if home is None or point is None
                              else geography.distance_km(home, point))
        return distances[key]

    empty = InstitutionRecord.empty()
    candidates = []
    for (service_id, name, organization_id, organization_name, languages, target_groups,
         minimum_age, maximum_age, minimum_education, seats_total, seats_available,
         waiting_list_open, waiting_list_length, next_intake_date) in services:
        where = places.get(service_id, ())
        known = [d for m, lat, lon, _ in where if (d := distance(m, lat, lon)) is not None]
        candidates.append(Candidate(
            service_id=str(service_id), service_name=name,
            organization_id=str(organization_id), organization_name=organization_name,
            municipality_codes=tuple(m for m, *_ in where if m),
            distance_km=min(known) if known else None,
            online=any(kind == "virtual" for *_, kind in where),
            languages=tuple(languages), target_groups=tuple(target_groups),
            minimum_age=minimum_age, maximum_age=maximum_age,
            minimum_education=minimum_education, seats_total=seats_total,
            seats_available=seats_available, waiting_list_open=waiting_list_open,
            waiting_list_length=waiting_list_length, next_intake_date=next_intake_date,
            record=records.get(organization_id, empty)))
    return candidates


def suggest(request: RoutingRequest, today: date,
            exclude_service_ids: frozenset[UUID] = frozenset()) -> Ranking:
    """The ranked, explained suggestions for one client's need."""
    client = request.client
    facts = client_facts(client, request.languages, request.extra_target_groups, today)
    weights = weights_of(routing_settings(client.tenant_id))
    return rank(candidates_for(request.need, client.municipality_code, client.tenant_id,
                               exclude_service_ids), facts, weights, today)
