"""Records as HSDS 3 JSON objects and back.

The objects follow HSDS 3.1's schema (service, organization, location, service_at_location,
taxonomy, taxonomy_term, with their nested phones, languages, cost options, capacities, ...).
Nested objects have no id of ours, so theirs is derived from their owner and content: exporting
the same directory twice gives the same ids. The read API serves the same objects.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from referrals.hsds.records import (
    IDENTIFIER_SCHEME,
    IDENTIFIER_TYPE,
    MINIMUM_EDUCATION_TERM_ID,
    MUNICIPALITY,
    NEXT_INTAKE_DATE_TERM_ID,
    SEATS_UNIT_ID,
    SEATS_UNIT_NAME,
    SEATS_UNIT_SCHEME,
    TARGET_GROUP_TERM_ID,
    WAITING_LIST_LENGTH_TERM_ID,
    WAITING_LIST_OPEN_TERM_ID,
    LocationRecord,
    OrganizationRecord,
    Package,
    PackageInvalid,
    ServiceAtLocationRecord,
    ServiceRecord,
    TaxonomyRecord,
    TaxonomyTermRecord,
    derived_id,
    eligibility_taxonomies,
)
from referrals.hsds.validation import COLLECTIONS, Node, Problems, Where, decode_package, show

#: Names for the language objects' `name`; other codes are named by their code.
LANGUAGE_NAMES = {
    "ar": "Arabic", "bg": "Bulgarian", "bs": "Bosnian", "de": "German", "el": "Greek",
    "en": "English", "es": "Spanish", "fa": "Persian", "fr": "French", "hr": "Croatian",
    "hu": "Hungarian", "it": "Italian", "mk": "Macedonian", "ps": "Pashto", "ro": "Romanian",
    "ru": "Russian", "sl": "Slovenian", "sq": "Albanian", "sr": "Serbian", "tr": "Turkish",
    "uk": "Ukrainian", "ur": "Urdu",
}

SEATS_UNIT = {"id": SEATS_UNIT_ID, "name": SEATS_UNIT_NAME, "scheme": SEATS_UNIT_SCHEME}


# --- Records -> HSDS ----------------------------------------------------------------------------

def organization_to_hsds(org: OrganizationRecord) -> dict[str, Any]:
    return {
        "id": org.id, "name": org.name, "alternate_name": org.alternate_name,
        "description": org.description, "email": org.email, "website": org.website,
        "phones": [{"id": derived_id(org.id, "phone"), "organization_id": org.id,
                    "number": org.phone}] if org.phone else [],
        "organization_identifiers": [{
            "id": derived_id(org.id, "identifier", IDENTIFIER_TYPE), "organization_id": org.id,
            "identifier_scheme": IDENTIFIER_SCHEME, "identifier_type": IDENTIFIER_TYPE,
            "identifier": org.code}] if org.code else [],
    }


def location_to_hsds(location: LocationRecord) -> dict[str, Any]:
    has_address = any((location.address_1, location.city, location.postal_code))
    return {
        "id": location.id, "location_type": location.location_type,
        "organization_id": location.organization_id, "name": location.name,
        "latitude": location.latitude, "longitude": location.longitude,
        "external_identifier": location.municipality_code or None,
        "external_identifier_type": MUNICIPALITY if location.municipality_code else None,
        "addresses": [{
            "id": derived_id(location.id, "address"), "location_id": location.id,
            "address_1": location.address_1, "city": location.city,
            "postal_code": location.postal_code, "address_type": location.location_type,
        }] if has_address else [],
    }


def service_to_hsds(service: ServiceRecord) -> dict[str, Any]:
    sid = service.id
    return {
        "id": sid, "organization_id": service.organization_id, "name": service.name,
        "alternate_name": service.alternate_name, "description": service.description,
        "url": service.url, "email": service.email, "status": service.status,
        "fees_description": service.fees_description,
        "eligibility_description": service.eligibility_description,
        "minimum_age": service.minimum_age, "maximum_age": service.maximum_age,
        "application_process": service.application_process,
        "languages": [{"id": derived_id(sid, "language", code), "service_id": sid,
                       "name": LANGUAGE_NAMES.get(code, code), "code": code}
                      for code in service.languages],
        "cost_options": _cost_options(service),
        "capacities": _capacities(service),
        "schedules": [{"id": derived_id(sid, "schedule"), "service_id": sid,
                       "description": service.schedule_description}]
        if service.schedule_description else [],
        "contacts": _contacts(service),
        "attributes": _attributes(service),
    }


def service_at_location_to_hsds(link: ServiceAtLocationRecord) -> dict[str, Any]:
    return {"id": link.id, "service_id": link.service_id, "location_id": link.location_id}


def taxonomy_to_hsds(taxonomy: TaxonomyRecord) -> dict[str, Any]:
    return {"id": taxonomy.id, "name": taxonomy.name, "description": taxonomy.description,
            "uri": taxonomy.uri, "version": taxonomy.version}


def taxonomy_term_to_hsds(term: TaxonomyTermRecord,
                          taxonomy: TaxonomyRecord | None = None) -> dict[str, Any]:
    """The term; HSDS also names its taxonomy in `taxonomy`, when the caller has it at hand."""
    return {"id": term.id, "code": term.code, "name": term.name,
            "description": term.description, "parent_id": term.parent_id,
            "taxonomy": taxonomy.name if taxonomy else None, "taxonomy_id": term.taxonomy_id,
            "language": term.language}


def package_to_json(package: Package) -> dict[str, Any]:
    """The whole package as one JSON-ready object, the inverse of `parse_json_package`."""
    taxonomies = {t.id: t for t in (*eligibility_taxonomies(), *package.taxonomies)}
    return {
        "organizations": [organization_to_hsds(o) for o in package.organizations],
        "locations": [location_to_hsds(loc) for loc in package.locations],
        "services": [service_to_hsds(s) for s in package.services],
        "service_at_locations": [service_at_location_to_hsds(x)
                                 for x in package.service_at_locations],
        "taxonomies": [taxonomy_to_hsds(t) for t in package.taxonomies],
        "taxonomy_terms": [taxonomy_term_to_hsds(t, taxonomies.get(t.taxonomy_id))
                           for t in package.taxonomy_terms],
    }


def _number(amount: Decimal) -> int | float:
    """A JSON number; amounts have at most 2 decimals below 10^8, so a float keeps them."""
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def _cost_options(service: ServiceRecord) -> list[dict[str, Any]]:
    """Free with no amount is no cost option; otherwise one option, its amount possibly null
    (a fee whose amount `fees_description` explains)."""
    if service.free and service.cost_amount is None:
        return []
    amount = None if service.cost_amount is None else _number(service.cost_amount)
    return [{"id": derived_id(service.id, "cost"), "service_id": service.id,
             "option": "free" if service.free else "fee", "amount": amount,
             "currency": service.cost_currency or None}]


def _capacities(service: ServiceRecord) -> list[dict[str, Any]]:
    """HSDS 3.1 service_capacity in seats. `updated` is required there but we keep no time of
    the last change per service, so it stays null."""
    if service.seats_total is None and service.seats_available is None:
        return []
    return [{"id": derived_id(service.id, "capacity"), "service_id": service.id,
             "unit_id": SEATS_UNIT_ID, "unit": dict(SEATS_UNIT),
             "available": service.seats_available, "maximum": service.seats_total,
             "description": "Training seats", "updated": None}]


def _contacts(service: ServiceRecord) -> list[dict[str, Any]]:
    if not (service.contact_name or service.contact_email or service.contact_phone):
        return []
    contact_id = derived_id(service.id, "contact")
    phones = [{"id": derived_id(contact_id, "phone"), "contact_id": contact_id,
               "number": service.contact_phone}] if service.contact_phone else []
    return [{"id": contact_id, "service_id": service.id, "name": service.contact_name,
             "email": service.contact_email, "phones": phones}]


def _attributes(service: ServiceRecord) -> list[dict[str, Any]]:
    """The service's taxonomy terms, then our extensions as eligibility terms with a value."""
    eligibility: list[tuple[str, str]] = [(TARGET_GROUP_TERM_ID, g) for g in service.target_groups]
    if service.minimum_education:
        eligibility.append((MINIMUM_EDUCATION_TERM_ID, service.minimum_education))
    eligibility.append((WAITING_LIST_OPEN_TERM_ID, "true" if service.waiting_list_open
                        else "false"))
    eligibility.append((WAITING_LIST_LENGTH_TERM_ID, str(service.waiting_list_length)))
    if service.next_intake_date is not None:
        eligibility.append((NEXT_INTAKE_DATE_TERM_ID, service.next_intake_date.isoformat()))
    return [
        *(_attribute(service.id, "service", term_id, None)
          for term_id in service.taxonomy_term_ids),
        *(_attribute(service.id, "eligibility", term_id, value)
          for term_id, value in eligibility),
    ]


def _attribute(service_id: str, link_type: str, term_id: str,
               value: str | None) -> dict[str, Any]:
    return {"id": derived_id(service_id, "attribute", term_id, value or ""),
            "link_id": service_id, "link_type": link_type, "link_entity": "service",
            "taxonomy_term_id": term_id, "value": value}


# --- HSDS -> records ----------------------------------------------------------------------------

@dataclass(frozen=True)
class JsonNode:
    """An HSDS JSON object; its nested lists are read when the decoder asks for them."""

    fields: Mapping[str, object]
    where: Where

    def get(self, name: str) -> object:
        return self.fields.get(name)

    def children(self, key: str, problems: Problems) -> Sequence[Node]:
        value = self.fields.get(key)
        label = f"{self.where.label}.{key}"
        if value is None:
            return []
        if isinstance(value, dict):
            return [JsonNode(value, Where(label))]
        if isinstance(value, list):
            return json_objects(value, label, problems)
        problems.on(Where(label), f"must be a list, got {show(value)}")
        return []


def json_objects(items: list[object], label: str, problems: Problems) -> list[JsonNode]:
    nodes = []
    for index, item in enumerate(items):
        where = Where(f"{label}[{index}]")
        if isinstance(item, dict):
            nodes.append(JsonNode(item, where))
        else:
            problems.on(where, f"must be an object, got {show(item)}")
    return nodes


def parse_json_package(raw: bytes, *, known_term_ids: Collection[str] = ()) -> Package:
    """The package in `raw` (the output of `package_to_json`, as JSON), or PackageInvalid.

    `known_term_ids` are the taxonomy terms the directory already has: services may use them
    without the package repeating them.
    """
    try:
        # Decimal keeps amounts exact; coordinates become floats again when they are read.
        document = json.loads(raw, parse_float=Decimal)
    except (ValueError, RecursionError) as exc:
        raise PackageInvalid([f"not valid JSON: {exc}"]) from None
    if not isinstance(document, dict):
        raise PackageInvalid(["the package must be a JSON object with the lists "
                              + ", ".join(COLLECTIONS)])
    problems = Problems()
    collections: dict[str, list[JsonNode]] = {}
    for key in COLLECTIONS:
        items = document.get(key, [])
        if not isinstance(items, list):
            problems.on(Where(key), f"must be a list, got {show(items)}")
            items = []
        collections[key] = json_objects(items, key, problems)
    return decode_package(collections, known_term_ids, problems)
