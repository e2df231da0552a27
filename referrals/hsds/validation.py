"""Reading HSDS objects into records, checking every value and reference on the way.

Both formats end here: a JSON object and a CSV row (with the rows of other tables that point at
it attached) look alike as a `Node`, so the rules live in one place and only the wording of
where a problem is differs ("services[3].minimum_age" or "services.csv row 4").
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Protocol

from referrals.hsds.records import (
    ELIGIBILITY_TERMS,
    IDENTIFIER_TYPE,
    ISCED_LEVELS,
    LOCATION_TYPES,
    MINIMUM_EDUCATION,
    MUNICIPALITY,
    NEXT_INTAKE_DATE,
    SEATS_UNIT_ID,
    SEATS_UNIT_NAME,
    STATUSES,
    TARGET_GROUP,
    TARGET_GROUPS,
    WAITING_LIST_LENGTH,
    WAITING_LIST_OPEN,
    LocationRecord,
    OrganizationRecord,
    Package,
    PackageInvalid,
    ServiceAtLocationRecord,
    ServiceRecord,
    TaxonomyRecord,
    TaxonomyTermRecord,
)

#: The top-level lists of a package, in the order their ids must be known to check references.
COLLECTIONS = ("organizations", "locations", "services", "service_at_locations", "taxonomies",
               "taxonomy_terms")

MAX_PROBLEMS = 200
MAX_AGE = 150
#: Amounts are kept as NUMERIC(10, 2); below this they also survive a JSON float exactly.
MAX_AMOUNT = Decimal(100_000_000)

_LANGUAGE = re.compile(r"[a-z]{2}")
_TERM_LANGUAGE = re.compile(r"[a-z]{2,3}")
_CURRENCY = re.compile(r"[A-Za-z]{3}")
_WHOLE = re.compile(r"[+-]?[0-9]+")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class Where:
    """Where an object came from, named so that the person fixing the file finds it."""

    label: str
    tabular: bool = False

    def field(self, name: str, message: str) -> str:
        if self.tabular:
            return f"{self.label}: {name} {message}"
        return f"{self.label}.{name}: {message}"


class Problems:
    """Every problem found, so one import attempt reports all of them."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def at(self, where: Where, name: str, message: str) -> None:
        self.messages.append(where.field(name, message))

    def on(self, where: Where, message: str) -> None:
        self.messages.append(f"{where.label}: {message}")

    def raise_if_any(self) -> None:
        if not self.messages:
            return
        shown = self.messages[:MAX_PROBLEMS]
        if len(self.messages) > MAX_PROBLEMS:
            shown.append(f"... and {len(self.messages) - MAX_PROBLEMS} more")
        raise PackageInvalid(shown)


class Node(Protocol):
    """One HSDS object: a JSON object, or a CSV row with the rows that point at it."""

    @property
    def where(self) -> Where: ...

    def get(self, name: str) -> object: ...

    def children(self, key: str, problems: Problems) -> Sequence[Node]: ...


def show(value: object) -> str:
    """A value as a problem message quotes it."""
    if isinstance(value, str):
        return f"'{value}'" if len(value) <= 60 else f"'{value[:57]}...'"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return str(value)
    return "a list" if isinstance(value, list) else "an object"


def as_uuid(value: str) -> str | None:
    """`value` as a canonical (lowercase, hyphenated) UUID, or None when it is none."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def _as_whole(value: object) -> int | None:
    """A JSON number or CSV text as a whole number; 12.0 counts, true does not."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        return int(value) if _WHOLE.fullmatch(value.strip()) else None
    if isinstance(value, Decimal | float) and math.isfinite(value) and value == int(value):
        return int(value)
    return None


def _one_of(allowed: Sequence[str]) -> str:
    return ", ".join(f"'{a}'" for a in allowed)


@dataclass
class _Extensions:
    """The eligibility attributes of one service, as they are read."""

    target_groups: list[str] = field(default_factory=list)
    minimum_education: str = ""
    waiting_list_open: bool = False
    waiting_list_length: int = 0
    next_intake_date: date | None = None
    seen: set[str] = field(default_factory=set)


def decode_package(collections: Mapping[str, Sequence[Node]], known_term_ids: Collection[str],
                   problems: Problems) -> Package:
    """The package the objects describe, or PackageInvalid with everything wrong with them."""
    package = _Decoder(problems, known_term_ids).package(collections)
    problems.raise_if_any()
    return package


class _Decoder:
    def __init__(self, problems: Problems, known_term_ids: Collection[str]) -> None:
        self.problems = problems
        self.known_terms = {n for t in known_term_ids if (n := as_uuid(str(t)))}
        self.seen_ids: dict[str, dict[str, Where]] = {}
        self.ids: dict[str, set[str]] = {}
        self.codes: dict[str, Where] = {}
        self.term_codes: dict[str, Where] = {}

    # --- Whole package --------------------------------------------------------------------------

    def package(self, collections: Mapping[str, Sequence[Node]]) -> Package:
        # First every id, so that references may point forwards as well as backwards.
        keyed = {name: [(node, self.object_id(node, name)) for node in collections.get(name, ())]
                 for name in COLLECTIONS}
        self.ids = {name: set(self.seen_ids.get(name, {})) for name in COLLECTIONS}
        package = Package(
            organizations=tuple(self.organization(n, i) for n, i in keyed["organizations"]),
            locations=tuple(self.location(n, i) for n, i in keyed["locations"]),
            services=tuple(self.service(n, i) for n, i in keyed["services"]),
            service_at_locations=self.service_at_locations(keyed["service_at_locations"]),
            taxonomies=tuple(self.taxonomy(n, i) for n, i in keyed["taxonomies"]),
            taxonomy_terms=tuple(self.taxonomy_term(n, i) for n, i in keyed["taxonomy_terms"]),
        )
        self.check_term_cycles(keyed["taxonomy_terms"], package.taxonomy_terms)
        return package

    def object_id(self, node: Node, table: str) -> str:
        """The object's id: present, a UUID, and not used before by another of its table."""
        value = self.reference(node, "id") or ""
        if value:
            first = self.seen_ids.setdefault(table, {}).setdefault(value, node.where)
            if first is not node.where:
                self.problems.at(node.where, "id", f"'{value}' is already used by {first.label}")
        return value

    # --- Values ---------------------------------------------------------------------------------

    def text(self, node: Node, name: str, *, required: bool = False) -> str:
        value = node.get(name)
        if value is None:
            value = ""
        if not isinstance(value, str):
            self.problems.at(node.where, name, f"must be text, got {show(value)}")
            return ""
        if required and not value.strip():
            self.problems.at(node.where, name, "is required")
        return value

    def reference(self, node: Node, name: str, *, required: bool = True) -> str | None:
        value = self.text(node, name, required=required)
        if not value:
            return None
        normal = as_uuid(value)
        if normal is None:
            self.problems.at(node.where, name, f"must be a UUID, got {show(value)}")
        return normal

    def reference_to(self, node: Node, name: str, table: str, noun: str) -> str:
        value = self.reference(node, name)
        if value and value not in self.ids[table]:
            self.problems.at(node.where, name, f"'{value}' does not name {noun} in the package")
        return value or ""

    def choice(self, node: Node, name: str, allowed: Sequence[str], *,
               required: bool = True) -> str:
        value = self.text(node, name, required=required)
        if value and value not in allowed:
            self.problems.at(node.where, name,
                             f"must be one of {_one_of(allowed)}, got {show(value)}")
            return ""
        return value

    def whole(self, node: Node, name: str, *, maximum: int | None = None,
              required: bool = False) -> int | None:
        value = node.get(name)
        if value is None or value == "":
            if required:
                self.problems.at(node.where, name, "is required")
            return None
        number = _as_whole(value)
        if number is None:
            self.problems.at(node.where, name, f"must be a whole number, got {show(value)}")
        elif number < 0:
            self.problems.at(node.where, name, f"must not be negative, got {number}")
        elif maximum is not None and number > maximum:
            self.problems.at(node.where, name, f"must be at most {maximum}, got {number}")
        else:
            return number
        return None

    def amount(self, node: Node, name: str) -> Decimal | None:
        value = node.get(name)
        if value is None or value == "":
            return None
        number: Decimal | None = None
        if isinstance(value, int | Decimal) and not isinstance(value, bool):
            number = Decimal(value)
        elif isinstance(value, float):
            number = Decimal(repr(value))
        elif isinstance(value, str):
            try:
                number = Decimal(value.strip())
            except InvalidOperation:
                number = None
        if number is None or not number.is_finite():
            self.problems.at(node.where, name, f"must be a number, got {show(value)}")
        elif number < 0:
            self.problems.at(node.where, name, f"must not be negative, got {show(value)}")
        elif number >= MAX_AMOUNT or number != number.quantize(Decimal("0.01")):
            self.problems.at(node.where, name, f"must be below {MAX_AMOUNT} with at most 2 "
                                               f"decimals, got {show(value)}")
        else:
            return number
        return None

    def coordinate(self, node: Node, name: str, limit: int) -> float | None:
        value = node.get(name)
        if value is None or value == "":
            return None
        number: float | None = None
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            number = float(value)
        elif isinstance(value, str):
            try:
                number = float(value)
            except ValueError:
                number = None
        if number is None or not math.isfinite(number):
            self.problems.at(node.where, name, f"must be a number, got {show(value)}")
        elif abs(number) > limit:
            self.problems.at(node.where, name,
                             f"must be between -{limit} and {limit}, got {show(value)}")
        else:
            return number
        return None

    def iso_date(self, node: Node, name: str) -> date | None:
        value = self.text(node, name, required=True)
        if not value:
            return None
        try:
            if _DATE.fullmatch(value):
                return date.fromisoformat(value)
        except ValueError:
            pass
        self.problems.at(node.where, name, f"must be a date as YYYY-MM-DD, got {show(value)}")
        return None

    # --- Nested objects -------------------------------------------------------------------------

    def nested(self, parent: Node, key: str) -> Sequence[Node]:
        """The objects under `key`, each with its own checked id."""
        found = parent.children(key, self.problems)
        for child in found:
            self.object_id(child, key)
        return found

    def only(self, parent: Node, key: str, owner: str, noun: str) -> Node | None:
        """The one object under `key`; we keep one, so more is a problem rather than a loss."""
        found = self.nested(parent, key)
        for extra in found[1:]:
            self.problems.on(extra.where, f"a {owner} has at most one {noun}")
        return found[0] if found else None

    # --- Records --------------------------------------------------------------------------------

    def organization(self, node: Node, org_id: str) -> OrganizationRecord:
        phone = self.only(node, "phones", "organization", "phone")
        code = ""
        for identifier in self.nested(node, "organization_identifiers"):
            if self.text(identifier, "identifier_type") != IDENTIFIER_TYPE:
                continue  # another register's number: not ours to keep
            if code:
                self.problems.on(identifier.where,
                                 f"an organization has at most one {IDENTIFIER_TYPE} identifier")
                continue
            code = self.text(identifier, "identifier", required=True)
            first = self.codes.setdefault(code, identifier.where) if code else identifier.where
            if first is not identifier.where:
                self.problems.at(identifier.where, "identifier",
                                 f"'{code}' is already the code of {first.label}")
        return OrganizationRecord(
            id=org_id, code=code, name=self.text(node, "name", required=True),
            alternate_name=self.text(node, "alternate_name"),
            description=self.text(node, "description"), email=self.text(node, "email"),
            website=self.text(node, "website"),
            phone=self.text(phone, "number", required=True) if phone else "")

    def location(self, node: Node, location_id: str) -> LocationRecord:
        municipality = ""
        if self.text(node, "external_identifier_type") == MUNICIPALITY:
            municipality = self.text(node, "external_identifier", required=True)
        addresses = self.nested(node, "addresses")
        address = addresses[0] if addresses else None  # we keep one address: the first
        return LocationRecord(
            id=location_id,
            organization_id=self.reference_to(node, "organization_id", "organizations",
                                              "an organization"),
            name=self.text(node, "name"),
            location_type=self.choice(node, "location_type", LOCATION_TYPES),
            municipality_code=municipality,
            address_1=self.text(address, "address_1") if address else "",
            city=self.text(address, "city") if address else "",
            postal_code=self.text(address, "postal_code") if address else "",
            latitude=self.coordinate(node, "latitude", 90),
            longitude=self.coordinate(node, "longitude", 180))

    def service(self, node: Node, service_id: str) -> ServiceRecord:
        minimum_age = self.whole(node, "minimum_age", maximum=MAX_AGE)
        maximum_age = self.whole(node, "maximum_age", maximum=MAX_AGE)
        if minimum_age is not None and maximum_age is not None and maximum_age < minimum_age:
            self.problems.at(node.where, "maximum_age",
                             f"must not be below minimum_age {minimum_age}, got {maximum_age}")
        free, cost_amount, cost_currency = self.cost(node)
        seats_total, seats_available = self.capacity(node)
        schedule = self.only(node, "schedules", "service", "schedule")
        contact_name, contact_email, contact_phone = self.contact(node)
        term_ids, extensions = self.attributes(node)
        return ServiceRecord(
            id=service_id,
            organization_id=self.reference_to(node, "organization_id", "organizations",
                                              "an organization"),
            name=self.text(node, "name", required=True),
            alternate_name=self.text(node, "alternate_name"),
            description=self.text(node, "description"), url=self.text(node, "url"),
            email=self.text(node, "email"), status=self.choice(node, "status", STATUSES),
            fees_description=self.text(node, "fees_description"), free=free,
            cost_amount=cost_amount, cost_currency=cost_currency,
            eligibility_description=self.text(node, "eligibility_description"),
            minimum_age=minimum_age, maximum_age=maximum_age,
            application_process=self.text(node, "application_process"),
            schedule_description=self.text(schedule, "description") if schedule else "",
            languages=self.languages(node), target_groups=tuple(extensions.target_groups),
            minimum_education=extensions.minimum_education,
            seats_total=seats_total, seats_available=seats_available,
            waiting_list_open=extensions.waiting_list_open,
            waiting_list_length=extensions.waiting_list_length,
            next_intake_date=extensions.next_intake_date,
            contact_name=contact_name, contact_email=contact_email, contact_phone=contact_phone,
            taxonomy_term_ids=term_ids)

    def languages(self, node: Node) -> tuple[str, ...]:
        codes: list[str] = []
        for language in self.nested(node, "languages"):
            code = self.text(language, "code")
            if not _LANGUAGE.fullmatch(code):
                self.problems.at(language.where, "code", "must be an ISO 639-1 code (two "
                                                         f"lowercase letters), got {show(code)}")
            elif code in codes:
                self.problems.at(language.where, "code", f"'{code}' is already listed")
            else:
                codes.append(code)
        return tuple(codes)

    def cost(self, node: Node) -> tuple[bool, Decimal | None, str]:
        """(free, amount, currency). No cost option, or an amount of 0, is free; an option
        without an amount is a fee whose amount is not given."""
        option = self.only(node, "cost_options", "service", "cost option")
        if option is None:
            return True, None, ""
        amount = self.amount(option, "amount")
        currency = self.text(option, "currency")
        if currency and not _CURRENCY.fullmatch(currency):
            self.problems.at(option.where, "currency",
                             f"must be a three-letter ISO 4217 code, got {show(currency)}")
        elif not currency and amount is not None and amount > 0:
            self.problems.at(option.where, "currency", "is required with an amount above 0")
        return amount is not None and amount == 0, amount, currency

    def capacity(self, node: Node) -> tuple[int | None, int | None]:
        """(seats_total, seats_available) from the service's one capacity in seats."""
        capacity = self.only(node, "capacities", "service", "capacity")
        if capacity is None:
            return None, None
        units = capacity.children("unit", self.problems)
        unit_id = self.text(capacity, "unit_id")
        if units:
            unit = self.text(units[0], "name")
        elif unit_id:  # tabular: the seats unit may be named by its well-known id alone
            unit = SEATS_UNIT_NAME
            if as_uuid(unit_id) != SEATS_UNIT_ID:
                self.problems.at(capacity.where, "unit_id",
                                 f"{show(unit_id)} names no unit in the package")
        else:
            self.problems.at(capacity.where, "unit", "is required")
            unit = SEATS_UNIT_NAME
        if unit != SEATS_UNIT_NAME:
            self.problems.at(capacity.where, "unit",
                             f"must be '{SEATS_UNIT_NAME}', got {show(unit)}")
        available = self.whole(capacity, "available")
        maximum = self.whole(capacity, "maximum")
        if available is not None and maximum is not None and available > maximum:
            self.problems.at(capacity.where, "available",
                             f"must not exceed maximum {maximum}, got {available}")
        return maximum, available

    def contact(self, node: Node) -> tuple[str, str, str]:
        contact = self.only(node, "contacts", "service", "contact")
        if contact is None:
            return "", "", ""
        phone = self.only(contact, "phones", "contact", "phone")
        return (self.text(contact, "name"), self.text(contact, "email"),
                self.text(phone, "number", required=True) if phone else "")

    def attributes(self, node: Node) -> tuple[tuple[str, ...], _Extensions]:
        """The service's taxonomy terms, and our extensions carried as eligibility terms."""
        terms: list[str] = []
        extensions = _Extensions()
        for attribute in self.nested(node, "attributes"):
            entity = self.text(attribute, "link_entity")
            if entity and entity != "service":
                self.problems.at(attribute.where, "link_entity",
                                 f"must be 'service', got {show(entity)}")
            term = self.reference(attribute, "taxonomy_term_id")
            if term is None:
                continue
            if term in ELIGIBILITY_TERMS:
                self.extension(attribute, ELIGIBILITY_TERMS[term][0], extensions)
            elif term not in self.ids["taxonomy_terms"] and term not in self.known_terms:
                self.problems.at(attribute.where, "taxonomy_term_id",
                                 f"'{term}' names no taxonomy term in the package or the "
                                 "directory")
            elif term in terms:
                self.problems.at(attribute.where, "taxonomy_term_id", f"'{term}' is already "
                                                                      "listed")
            else:
                terms.append(term)
        return tuple(terms), extensions

    def extension(self, attribute: Node, code: str, extensions: _Extensions) -> None:
        if code == TARGET_GROUP:
            group = self.choice(attribute, "value", TARGET_GROUPS)
            if group in extensions.target_groups:
                self.problems.at(attribute.where, "value", f"'{group}' is already listed")
            elif group:
                extensions.target_groups.append(group)
            return
        if code in extensions.seen:
            self.problems.on(attribute.where, f"a service has at most one '{code}' attribute")
            return
        extensions.seen.add(code)
        if code == MINIMUM_EDUCATION:
            extensions.minimum_education = self.choice(attribute, "value", ISCED_LEVELS)
        elif code == WAITING_LIST_OPEN:
            extensions.waiting_list_open = \
                self.choice(attribute, "value", ("true", "false")) == "true"
        elif code == WAITING_LIST_LENGTH:
            extensions.waiting_list_length = self.whole(attribute, "value", required=True) or 0
        elif code == NEXT_INTAKE_DATE:
            extensions.next_intake_date = self.iso_date(attribute, "value")

    def service_at_locations(self, keyed: Sequence[tuple[Node, str]]
                             ) -> tuple[ServiceAtLocationRecord, ...]:
        records: list[ServiceAtLocationRecord] = []
        pairs: dict[tuple[str, str], Where] = {}
        for node, link_id in keyed:
            record = ServiceAtLocationRecord(
                id=link_id,
                service_id=self.reference_to(node, "service_id", "services", "a service"),
                location_id=self.reference_to(node, "location_id", "locations", "a location"))
            pair = (record.service_id, record.location_id)
            first = pairs.setdefault(pair, node.where)
            if all(pair) and first is not node.where:
                self.problems.on(node.where, f"the service is already at this location in "
                                             f"{first.label}")
            records.append(record)
        return tuple(records)

    def taxonomy(self, node: Node, taxonomy_id: str) -> TaxonomyRecord:
        return TaxonomyRecord(id=taxonomy_id, name=self.text(node, "name", required=True),
                              description=self.text(node, "description"),
                              uri=self.text(node, "uri"), version=self.text(node, "version"))

    def taxonomy_term(self, node: Node, term_id: str) -> TaxonomyTermRecord:
        code = self.text(node, "code")
        first = self.term_codes.setdefault(code, node.where) if code else node.where
        if first is not node.where:
            self.problems.at(node.where, "code", f"'{code}' is already the code of {first.label}")
        parent_id = self.reference(node, "parent_id", required=False)
        if parent_id and parent_id not in self.ids["taxonomy_terms"] \
                and parent_id not in self.known_terms:
            self.problems.at(node.where, "parent_id", f"'{parent_id}' names no taxonomy term in "
                                                      "the package or the directory")
        language = self.text(node, "language")
        if language and not _TERM_LANGUAGE.fullmatch(language):
            self.problems.at(node.where, "language", "must be an ISO 639 code (two or three "
                                                     f"lowercase letters), got {show(language)}")
        return TaxonomyTermRecord(
            id=term_id, code=code, name=self.text(node, "name", required=True),
            description=self.text(node, "description"), parent_id=parent_id,
            taxonomy_id=self.reference_to(node, "taxonomy_id", "taxonomies", "a taxonomy"),
            language=language)

    def check_term_cycles(self, keyed: Sequence[tuple[Node, str]],
                          terms: Sequence[TaxonomyTermRecord]) -> None:
        """A term may not be its own ancestor: a hierarchy must end at a top-level term."""
        parents = {term.id: term.parent_id for term in terms if term.id}
        for (node, _), term in zip(keyed, terms, strict=True):
            seen = {term.id}
            parent = term.parent_id
            while parent is not None and parent in parents:
                if parent in seen:
                    self.problems.at(node.where, "parent_id", "leads into a circle of parents")
                    break
                seen.add(parent)
                parent = parents[parent]
