"""A small, hand-made directory of one tenant, and a client to refer: what the referral tests
start from; and a small shared directory of the regional office. The directories go in through
`directory_import`, the path an HSDS package takes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from typing import Any

from referrals.directory import directory_import
from referrals.hsds import (
    LocationRecord,
    OrganizationRecord,
    Package,
    ServiceAtLocationRecord,
    ServiceRecord,
)
from referrals.taxonomy import term_id
from services.auth.tokens import Principal, Role
from services.tenancy.context import tenant_transaction
from tests.integration.keycloak_helpers import as_user

LANGUAGE_COURSE = term_id("skills:language-course")
CV_COURSE = term_id("skills:cv-job-search")


def _org(code: str, name: str) -> OrganizationRecord:
    return OrganizationRecord(id=str(uuid.uuid4()), code=code, name=name, alternate_name="",
                              description="", email=f"{code}@example.org", website="", phone="")


def _location(org: OrganizationRecord, municipality: str, city: str) -> LocationRecord:
    return LocationRecord(id=str(uuid.uuid4()), organization_id=org.id, name=f"{org.name}, {city}",
                          location_type="physical", municipality_code=municipality,
                          address_1="Rruga 1", city=city, postal_code="1001", latitude=None,
                          longitude=None)


def service(org: OrganizationRecord, name: str, **fields: Any) -> ServiceRecord:
    base = ServiceRecord(
        id=str(uuid.uuid4()), organization_id=org.id, name=name, alternate_name="",
        description=f"{name}.", url="", email="", status="active", fees_description="",
        free=True, cost_amount=None, cost_currency="", eligibility_description="",
        minimum_age=16, maximum_age=None, application_process="", schedule_description="",
        languages=("sq", "en"), target_groups=(), minimum_education="", seats_total=20,
        seats_available=8, waiting_list_open=False, waiting_list_length=0,
        next_intake_date=None, contact_name="", contact_email="", contact_phone="",
        taxonomy_term_ids=(LANGUAGE_COURSE,))
    return replace(base, **fields)


@dataclass
class World:
    """The directory's ids by role in the tests, and the client."""

    tenant: str
    services: dict[str, str]
    organizations: dict[str, str]
    client_id: str
    package: Package


def admin(tenant: str) -> Principal:
    return Principal(subject=f"admin-{tenant}", username=f"admin.{tenant.lower()}",
                     tenant=tenant, roles=frozenset({Role.TENANT_ADMIN}))


def regional_office() -> Principal:
    return Principal(subject="regional-office", username="regional.monitor", tenant=None,
                     roles=frozenset({Role.REGIONAL_MONITOR}))


def make_shared_directory() -> dict[str, str]:
    """Two services of the regional directory, which every country sees (`tenant` NULL), put
    there as the regional office's import puts them; their ids by role in the tests."""
    network = replace(_org("balkan-skills", "Balkan Skills Network"),
                      email="info@balkan-skills.example.org")
    online = replace(_location(network, "MK-01", "Skopje"), location_type="virtual",
                     name="Balkan Skills Network, online", address_1="", postal_code="1000")
    services = {"german": service(network, "German A1, online", seats_total=15,
                                  seats_available=5),
                "welding": service(network, "Welding certificate, Skopje")}
    package = Package(
        organizations=(network,), locations=(online,), services=tuple(services.values()),
        service_at_locations=tuple(
            ServiceAtLocationRecord(id=str(uuid.uuid4()), service_id=s.id,
                                    location_id=online.id) for s in services.values()))
    with tenant_transaction(None):
        directory_import(regional_office(), package)
    return {key: s.id for key, s in services.items()}


def build_package(tenant: str) -> tuple[Package, dict[str, str], dict[str, str]]:
    """Four language courses: near and free, farther and fuller, youth only, full."""
    cc = tenant.lower()
    first, second = _org(f"{cc}-inst-1", "Tirana Language School"), _org(
        f"{cc}-inst-2", "Adriatic Language Centre")
    tirana, durres, shkoder = (_location(first, "AL-11", "Tirana"),
                               _location(second, "AL-02", "Durrës"),
                               _location(second, "AL-10", "Shkodër"))
    services = {
        "near": service(first, "English B1, Tirana", seats_available=12),
        "far": service(second, "English B1, Durrës", seats_available=2),
        "youth": service(second, "English for young people, Shkodër", target_groups=("youth",),
                         maximum_age=29),
        "full": service(first, "Italian A2, Tirana", seats_available=0),
    }
    places = {"near": tirana, "far": durres, "youth": shkoder, "full": tirana}
    package = Package(
        organizations=(first, second), locations=(tirana, durres, shkoder),
        services=tuple(services.values()),
        service_at_locations=tuple(
            ServiceAtLocationRecord(id=str(uuid.uuid4()), service_id=s.id,
                                    location_id=places[key].id)
            for key, s in services.items()))
    return (package, {k: s.id for k, s in services.items()},
            {"first": first.id, "second": second.id})


def register_client(tenant: str, **overrides: Any) -> str:
    body = {
        "given_name": "Arta", "family_name": "Hoxha", "sex": "female", "birth_year": 1985,
        "birth_date": "1985-03-02", "citizenship": tenant, "category": "national",
        "municipality_code": "AL-11", "urban": True, "education_level": "isced3",
        "employment_status": "unemployed", "migration_intention": "labour",
        "phone": "+355 69 000 0001", "email": "arta@example.org", "address": "Rruga e Kavajës 7",
        "consent": {"given_at": "2026-11-01T08:00:00Z", "scope": "service"},
        "confirm_new": True,
    }
    body.update(overrides)
    response = as_user(f"counsellor.{tenant.lower()}").post("/api/v1/clients", body,
                                                           format="json")
    assert response.status_code == 201, response.content
    return str(response.json()["id"])


def make_world(tenant: str = "AL") -> World:
    package, services, organizations = build_package(tenant)
    with tenant_transaction(tenant):
        directory_import(admin(tenant), package)
    return World(tenant=tenant, services=services, organizations=organizations,
                 client_id=register_client(tenant), package=package)


def refer(world: World, service_key: str = "near", **overrides: Any) -> dict[str, Any]:
    body = {"client_id": world.client_id, "service_id": world.services[service_key],
            "need_id": LANGUAGE_COURSE, "note_for_partner": "Prefers evening classes."}
    body.update(overrides)
    response = as_user(f"counsellor.{world.tenant.lower()}").post("/api/v1/referrals", body,
                                                                 format="json")
    assert response.status_code == 201, response.content
    result: dict[str, Any] = response.json()
    return result


