"""Our directory records and the code lists an HSDS package is checked against.

The records are what the database layer reads and writes; the HSDS shapes (JSON objects, CSV
rows) are built from them and parsed back into them, so the records carry no HSDS detail.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

#: The namespace of every id derived here; the same as `referrals.taxonomy.NAMESPACE`, so the
#: eligibility terms' ids follow the same rule (UUIDv5 of the code) as the other shared terms.
NAMESPACE = uuid.UUID("3e0f6b8c-61a4-4b55-9b0c-2d6e3b0c5a10")


def derived_id(*parts: str) -> str:
    """A stable UUIDv5 for `parts`: every installation and every export agree on it."""
    return str(uuid.uuid5(NAMESPACE, "/".join(parts)))


# --- Code lists ---------------------------------------------------------------------------------

STATUSES = ("active", "inactive", "defunct", "temporarily closed")
LOCATION_TYPES = ("physical", "virtual")
TARGET_GROUPS = ("returnees", "immigrants", "youth", "unemployed", "long_term_unemployed", "women")
ISCED_LEVELS = tuple(f"isced{level}" for level in range(9))

#: How an organization's `code` travels: an HSDS organization identifier of this scheme and type.
IDENTIFIER_SCHEME = "msc"
IDENTIFIER_TYPE = "msc-institution"
#: How a location's `municipality_code` travels: its HSDS external identifier of this type.
MUNICIPALITY = "municipality"

#: The one capacity unit we publish: training seats (HSDS 3.1 `unit`).
SEATS_UNIT_ID = derived_id("unit", "seats")
SEATS_UNIT_NAME = "seats"
SEATS_UNIT_SCHEME = "msc"

# --- Eligibility terms: our extensions, carried as HSDS attributes with a value ------------------

ELIGIBILITY_TAXONOMY = "msc-eligibility"
ELIGIBILITY_TAXONOMY_ID = str(uuid.uuid5(NAMESPACE, "taxonomy:" + ELIGIBILITY_TAXONOMY))

TARGET_GROUP = "target-group"
MINIMUM_EDUCATION = "minimum-education"
WAITING_LIST_OPEN = "waiting-list-open"
WAITING_LIST_LENGTH = "waiting-list-length"
NEXT_INTAKE_DATE = "next-intake-date"

TARGET_GROUP_TERM_ID = str(uuid.uuid5(NAMESPACE, TARGET_GROUP))
MINIMUM_EDUCATION_TERM_ID = str(uuid.uuid5(NAMESPACE, MINIMUM_EDUCATION))
WAITING_LIST_OPEN_TERM_ID = str(uuid.uuid5(NAMESPACE, WAITING_LIST_OPEN))
WAITING_LIST_LENGTH_TERM_ID = str(uuid.uuid5(NAMESPACE, WAITING_LIST_LENGTH))
NEXT_INTAKE_DATE_TERM_ID = str(uuid.uuid5(NAMESPACE, NEXT_INTAKE_DATE))

#: Eligibility term id -> (code, name, what the attribute's value holds).
ELIGIBILITY_TERMS: dict[str, tuple[str, str, str]] = {
    TARGET_GROUP_TERM_ID: (TARGET_GROUP, "Target group",
                           "A group the service is reserved for; one attribute per group, "
                           "value one of " + ", ".join(TARGET_GROUPS) + "."),
    MINIMUM_EDUCATION_TERM_ID: (MINIMUM_EDUCATION, "Minimum education",
                                "The lowest ISCED 2011 level a participant needs, value "
                                "isced0 to isced8."),
    WAITING_LIST_OPEN_TERM_ID: (WAITING_LIST_OPEN, "Waiting list open",
                                "Whether new participants can join the waiting list, value "
                                "true or false."),
    WAITING_LIST_LENGTH_TERM_ID: (WAITING_LIST_LENGTH, "Waiting list length",
                                  "How many people are on the waiting list, a whole number."),
    NEXT_INTAKE_DATE_TERM_ID: (NEXT_INTAKE_DATE, "Next intake date",
                               "When the next group starts, an ISO 8601 date (YYYY-MM-DD)."),
}


# --- Records ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class OrganizationRecord:
    """An institution; `code` is our institution identifier (e.g. "al-inst-1")."""

    id: str
    code: str
    name: str
    alternate_name: str
    description: str
    email: str
    website: str
    phone: str


@dataclass(frozen=True)
class LocationRecord:
    id: str
    organization_id: str
    name: str
    location_type: str
    municipality_code: str
    address_1: str
    city: str
    postal_code: str
    latitude: float | None
    longitude: float | None


@dataclass(frozen=True)
class ServiceRecord:
    """A service with its eligibility, cost and capacity.

    Cost has three consistent shapes, and only these survive a round trip through HSDS:
    free with no amount (and no currency); free with amount 0; or not free, with an amount
    above 0 (and a currency) or with no amount ("a fee, see fees_description").
    """

    id: str
    organization_id: str
    name: str
    alternate_name: str
    description: str
    url: str
    email: str
    status: str
    fees_description: str
    free: bool
    cost_amount: Decimal | None
    cost_currency: str
    eligibility_description: str
    minimum_age: int | None
    maximum_age: int | None
    application_process: str
    schedule_description: str
    languages: tuple[str, ...]
    target_groups: tuple[str, ...]
    minimum_education: str
    seats_total: int | None
    seats_available: int | None
    waiting_list_open: bool
    waiting_list_length: int
    next_intake_date: date | None
    contact_name: str
    contact_email: str
    contact_phone: str
    taxonomy_term_ids: tuple[str, ...]


@dataclass(frozen=True)
class ServiceAtLocationRecord:
    id: str
    service_id: str
    location_id: str


@dataclass(frozen=True)
class TaxonomyRecord:
    id: str
    name: str
    description: str
    uri: str
    version: str


@dataclass(frozen=True)
class TaxonomyTermRecord:
    id: str
    code: str
    name: str
    description: str
    parent_id: str | None
    taxonomy_id: str
    language: str


@dataclass(frozen=True)
class Package:
    """A whole directory, as imported or exported."""

    organizations: tuple[OrganizationRecord, ...] = ()
    locations: tuple[LocationRecord, ...] = ()
    services: tuple[ServiceRecord, ...] = ()
    service_at_locations: tuple[ServiceAtLocationRecord, ...] = ()
    taxonomies: tuple[TaxonomyRecord, ...] = ()
    taxonomy_terms: tuple[TaxonomyTermRecord, ...] = ()


class PackageInvalid(ValueError):
    """A package that cannot be imported, with every problem found (so one fix round suffices)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def eligibility_taxonomies() -> tuple[TaxonomyRecord, ...]:
    """The taxonomy of our eligibility extensions, for the database to keep with the others."""
    return (TaxonomyRecord(
        id=ELIGIBILITY_TAXONOMY_ID, name=ELIGIBILITY_TAXONOMY,
        description="Eligibility and capacity details of MSC services that HSDS has no field "
                    "for; services carry them as attributes with a value.",
        uri="https://msc.example/taxonomies/msc-eligibility", version="1"),)


def eligibility_terms() -> tuple[TaxonomyTermRecord, ...]:
    """The eligibility terms, whose ids every installation derives alike."""
    return tuple(
        TaxonomyTermRecord(id=term_id, code=code, name=name, description=description,
                           parent_id=None, taxonomy_id=ELIGIBILITY_TAXONOMY_ID, language="en")
        for term_id, (code, name, description) in ELIGIBILITY_TERMS.items())
