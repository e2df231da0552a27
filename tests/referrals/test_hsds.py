"""The HSDS data package: round trips in both formats, and every problem of a bad package."""

from __future__ import annotations

import copy
import csv
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from referrals.hsds import (
    ISCED_LEVELS,
    LOCATION_TYPES,
    MINIMUM_EDUCATION_TERM_ID,
    NEXT_INTAKE_DATE_TERM_ID,
    STATUSES,
    TARGET_GROUP_TERM_ID,
    TARGET_GROUPS,
    LocationRecord,
    OrganizationRecord,
    Package,
    PackageInvalid,
    ServiceAtLocationRecord,
    ServiceRecord,
    TaxonomyRecord,
    TaxonomyTermRecord,
    eligibility_terms,
    organization_to_hsds,
    package_to_csv_zip,
    package_to_json,
    parse_csv_package,
    parse_json_package,
    service_to_hsds,
)

ORG = "5b1c0e0a-0000-4000-8000-000000000001"
OTHER_ORG = "5b1c0e0a-0000-4000-8000-000000000002"
TIRANA = "5b1c0e0a-0000-4000-8000-000000000011"
ONLINE = "5b1c0e0a-0000-4000-8000-000000000012"
WELDING = "5b1c0e0a-0000-4000-8000-000000000021"
LANGUAGE = "5b1c0e0a-0000-4000-8000-000000000022"
TAXONOMY = "5b1c0e0a-0000-4000-8000-000000000031"
TRAINING = "5b1c0e0a-0000-4000-8000-000000000041"
VOCATIONAL = "5b1c0e0a-0000-4000-8000-000000000042"
MISSING = "5b1c0e0a-0000-4000-8000-0000000000ff"


def _service(**changes: Any) -> ServiceRecord:
    fields: dict[str, Any] = {
        "id": WELDING, "organization_id": ORG, "name": "Welding, level 2",
        "alternate_name": "MIG/MAG", "description": "Six months, with an \"EU\" certificate.\n",
        "url": "https://example.org/welding", "email": "welding@example.org",
        "status": "active", "fees_description": "150 EUR, instalments possible", "free": False,
        "cost_amount": Decimal("150.50"), "cost_currency": "EUR",
        "eligibility_description": "Adults", "minimum_age": 18, "maximum_age": 45,
        "application_process": "Through the MSC", "schedule_description": "Mon-Fri 9-13",
        "languages": ("sq", "en"), "target_groups": ("returnees", "youth"),
        "minimum_education": "isced2", "seats_total": 20, "seats_available": 5,
        "waiting_list_open": True, "waiting_list_length": 12,
        "next_intake_date": date(2026, 12, 1), "contact_name": "Arta Hoxha",
        "contact_email": "arta@example.org", "contact_phone": "+355 4 222 333",
        "taxonomy_term_ids": (VOCATIONAL,),
    }
    return ServiceRecord(**(fields | changes))


def small_package() -> Package:
    """Two institutions, a physical and a virtual location, a paid and a free service."""
    return Package(
        organizations=(
            OrganizationRecord(id=ORG, code="al-inst-1", name="Qendra e Formimit Profesional",
                               alternate_name="QFP Tirana", description="Vocational centre",
                               email="info@qfp.al", website="https://qfp.al",
                               phone="+355 4 222 000"),
            OrganizationRecord(id=OTHER_ORG, code="", name="Online Academy", alternate_name="",
                               description="", email="", website="", phone=""),
        ),
        locations=(
            LocationRecord(id=TIRANA, organization_id=ORG, name="Tirana", location_type="physical",
                           municipality_code="AL-11", address_1="Rruga e Durrësit 12",
                           city="Tiranë", postal_code="1001", latitude=41.3275,
                           longitude=19.8187),
            LocationRecord(id=ONLINE, organization_id=OTHER_ORG, name="", location_type="virtual",
                           municipality_code="", address_1="", city="", postal_code="",
                           latitude=None, longitude=None),
        ),
        services=(
            _service(),
            _service(id=LANGUAGE, organization_id=OTHER_ORG, name="German A1", alternate_name="",
                     description="", url="", email="", status="temporarily closed",
                     fees_description="", free=True, cost_amount=None, cost_currency="",
                     eligibility_description="", minimum_age=None, maximum_age=None,
                     application_process="", schedule_description="", languages=("de",),
                     target_groups=(), minimum_education="", seats_total=None,
                     seats_available=None, waiting_list_open=False, waiting_list_length=0,
                     next_intake_date=None, contact_name="", contact_email="",
                     contact_phone="", taxonomy_term_ids=()),
        ),
        service_at_locations=(
            ServiceAtLocationRecord(id="5b1c0e0a-0000-4000-8000-000000000051",
                                    service_id=WELDING, location_id=TIRANA),
            ServiceAtLocationRecord(id="5b1c0e0a-0000-4000-8000-000000000052",
                                    service_id=LANGUAGE, location_id=ONLINE),
        ),
        taxonomies=(TaxonomyRecord(id=TAXONOMY, name="msc-skills", description="Skills",
                                   uri="https://msc.example/taxonomies/msc-skills", version="1"),),
        taxonomy_terms=(
            TaxonomyTermRecord(id=TRAINING, code="skills:training", name="Training",
                               description="", parent_id=None, taxonomy_id=TAXONOMY,
                               language="en"),
            TaxonomyTermRecord(id=VOCATIONAL, code="skills:vocational-training",
                               name="Vocational training", description="With a certificate",
                               parent_id=TRAINING, taxonomy_id=TAXONOMY, language="en"),
        ),
    )


def _json_bytes(document: object) -> bytes:
    return json.dumps(document).encode()


def _problems(parse: Callable[[], Package]) -> list[str]:
    with pytest.raises(PackageInvalid) as raised:
        parse()
    return raised.value.problems


# --- Round trips --------------------------------------------------------------------------------

def test_the_json_round_trip_is_exact() -> None:
    package = small_package()
    assert parse_json_package(_json_bytes(package_to_json(package))) == package


def test_the_csv_round_trip_is_exact_and_the_export_is_reproducible() -> None:
    package = small_package()
    exported = package_to_csv_zip(package)
    assert parse_csv_package(exported) == package
    assert package_to_csv_zip(package) == exported


def test_the_datapackage_describes_every_csv_file_with_its_columns() -> None:
    with zipfile.ZipFile(io.BytesIO(package_to_csv_zip(small_package()))) as archive:
        descriptor = json.loads(archive.read("datapackage.json"))
        assert descriptor["profile"] == "tabular-data-package"
        described = {r["path"] for r in descriptor["resources"]}
        assert described == set(archive.namelist()) - {"datapackage.json"}
        for resource in descriptor["resources"]:
            header = next(csv.reader(io.StringIO(archive.read(resource["path"]).decode())))
            assert header == [f["name"] for f in resource["schema"]["fields"]]
            assert resource["schema"]["primaryKey"] == "id"


def test_a_service_speaks_hsds() -> None:
    hsds = service_to_hsds(_service())
    assert hsds["status"] == "active"
    assert [lang["code"] for lang in hsds["languages"]] == ["sq", "en"]
    assert hsds["cost_options"][0] | {"id": None} == {
        "id": None, "service_id": WELDING, "option": "fee", "amount": 150.5, "currency": "EUR"}
    [capacity] = hsds["capacities"]
    assert capacity["unit"]["name"] == "seats"
    assert (capacity["available"], capacity["maximum"]) == (5, 20)
    assert hsds["schedules"][0]["description"] == "Mon-Fri 9-13"
    assert hsds["contacts"][0]["phones"][0]["number"] == "+355 4 222 333"
    values = {(a["taxonomy_term_id"], a["value"]) for a in hsds["attributes"]}
    assert {(VOCATIONAL, None), (TARGET_GROUP_TERM_ID, "returnees"),
            (TARGET_GROUP_TERM_ID, "youth"), (MINIMUM_EDUCATION_TERM_ID, "isced2"),
            (NEXT_INTAKE_DATE_TERM_ID, "2026-12-01")} <= values
    assert all(a["link_id"] == WELDING and a["link_entity"] == "service"
               for a in hsds["attributes"])


def test_an_organization_code_travels_as_an_identifier() -> None:
    [identifier] = organization_to_hsds(small_package().organizations[0])[
        "organization_identifiers"]
    assert (identifier["identifier_scheme"], identifier["identifier_type"],
            identifier["identifier"]) == ("msc", "msc-institution", "al-inst-1")


def test_the_eligibility_terms_have_the_same_ids_everywhere() -> None:
    """UUIDv5 of the code: pinned, because every installation and export relies on it."""
    ids = {t.code: t.id for t in eligibility_terms()}
    assert ids["target-group"] == TARGET_GROUP_TERM_ID == "aca6f852-ae47-5938-bf9f-cfc0a85e0332"
    assert set(ids) == {"target-group", "minimum-education", "waiting-list-open",
                        "waiting-list-length", "next-intake-date"}


# --- Generated packages -------------------------------------------------------------------------

_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
_WORD = _TEXT.filter(str.strip)  # what must not be blank: names, codes, phone numbers
_OPTIONAL_WORD = st.one_of(st.just(""), _WORD)


def _unique_ids(count: int) -> st.SearchStrategy[list[str]]:
    return st.lists(st.uuids().map(str), min_size=count, max_size=count, unique=True)


def _optional_pair(low: int, high: int) -> st.SearchStrategy[tuple[int | None, int | None]]:
    """(smaller, larger), either of them possibly unknown."""
    return st.tuples(st.integers(low, high), st.integers(low, high)).map(sorted).flatmap(
        lambda pair: st.tuples(st.sampled_from([pair[0], None]), st.sampled_from([pair[1], None])))


_CURRENCY = st.sampled_from(["EUR", "ALL", "RSD", "mkd"])
_COSTS = st.one_of(
    st.just((True, None, "")),
    st.tuples(st.just(True), st.just(Decimal(0)), st.one_of(st.just(""), _CURRENCY)),
    st.tuples(st.just(False), st.none(), st.one_of(st.just(""), _CURRENCY)),
    st.tuples(st.just(False),
              st.decimals(Decimal("0.01"), Decimal("99999999.99"), places=2), _CURRENCY),
)


@st.composite
def _services(draw: st.DrawFn, service_id: str, org_ids: list[str],
              term_ids: list[str]) -> ServiceRecord:
    minimum_age, maximum_age = draw(_optional_pair(0, 150))
    seats_available, seats_total = draw(_optional_pair(0, 10_000))
    free, cost_amount, cost_currency = draw(_COSTS)
    return ServiceRecord(
        id=service_id, organization_id=draw(st.sampled_from(org_ids)), name=draw(_WORD),
        alternate_name=draw(_TEXT), description=draw(_TEXT), url=draw(_TEXT),
        email=draw(_TEXT), status=draw(st.sampled_from(STATUSES)),
        fees_description=draw(_TEXT), free=free, cost_amount=cost_amount,
        cost_currency=cost_currency, eligibility_description=draw(_TEXT),
        minimum_age=minimum_age, maximum_age=maximum_age, application_process=draw(_TEXT),
        schedule_description=draw(_TEXT),
        languages=tuple(draw(st.lists(st.from_regex(r"[a-z]{2}", fullmatch=True), unique=True,
                                      max_size=3))),
        target_groups=tuple(draw(st.lists(st.sampled_from(TARGET_GROUPS), unique=True))),
        minimum_education=draw(st.sampled_from(("", *ISCED_LEVELS))),
        seats_total=seats_total, seats_available=seats_available,
        waiting_list_open=draw(st.booleans()), waiting_list_length=draw(st.integers(0, 500)),
        next_intake_date=draw(st.none() | st.dates()), contact_name=draw(_TEXT),
        contact_email=draw(_TEXT), contact_phone=draw(_OPTIONAL_WORD),
        taxonomy_term_ids=tuple(draw(st.lists(st.sampled_from(term_ids), unique=True)))
        if term_ids else ())


@st.composite
def packages(draw: st.DrawFn) -> Package:
    """A valid package: every reference resolves and every value is in range."""
    taxonomy_ids = draw(_unique_ids(draw(st.integers(0, 2))))
    term_ids = draw(_unique_ids(draw(st.integers(0, 3)))) if taxonomy_ids else []
    term_codes = draw(st.lists(_WORD, min_size=len(term_ids), max_size=len(term_ids),
                               unique=True))
    terms = tuple(
        TaxonomyTermRecord(id=term_id, code=code, name=draw(_WORD), description=draw(_TEXT),
                           parent_id=draw(st.sampled_from([None, *term_ids[:index]])),
                           taxonomy_id=draw(st.sampled_from(taxonomy_ids)),
                           language=draw(st.sampled_from(["", "en", "sq", "eng"])))
        for index, (term_id, code) in enumerate(zip(term_ids, term_codes, strict=True)))
    org_ids = draw(_unique_ids(draw(st.integers(0, 3))))
    codes = draw(st.lists(_WORD, min_size=len(org_ids), max_size=len(org_ids), unique=True))
    organizations = tuple(
        OrganizationRecord(id=org_id, code=draw(st.sampled_from(["", code])), name=draw(_WORD),
                           alternate_name=draw(_TEXT), description=draw(_TEXT),
                           email=draw(_TEXT), website=draw(_TEXT), phone=draw(_OPTIONAL_WORD))
        for org_id, code in zip(org_ids, codes, strict=True))
    location_ids = draw(_unique_ids(draw(st.integers(0, 3)))) if org_ids else []
    locations = tuple(
        LocationRecord(id=location_id, organization_id=draw(st.sampled_from(org_ids)),
                       name=draw(_TEXT), location_type=draw(st.sampled_from(LOCATION_TYPES)),
                       municipality_code=draw(_OPTIONAL_WORD), address_1=draw(_TEXT),
                       city=draw(_TEXT), postal_code=draw(_TEXT),
                       latitude=draw(st.none() | st.floats(-90, 90)),
                       longitude=draw(st.none() | st.floats(-180, 180)))
        for location_id in location_ids)
    service_ids = draw(_unique_ids(draw(st.integers(0, 3)))) if org_ids else []
    services = tuple(draw(_services(service_id, org_ids, term_ids)) for service_id in service_ids)
    pairs = draw(st.lists(st.tuples(st.sampled_from(service_ids), st.sampled_from(location_ids)),
                          unique=True, max_size=3)) if service_ids and location_ids else []
    link_ids = draw(_unique_ids(len(pairs)))
    return Package(
        organizations=organizations, locations=locations, services=services,
        service_at_locations=tuple(
            ServiceAtLocationRecord(id=link_id, service_id=service_id, location_id=location_id)
            for link_id, (service_id, location_id) in zip(link_ids, pairs, strict=True)),
        taxonomies=tuple(TaxonomyRecord(id=taxonomy_id, name=draw(_WORD),
                                        description=draw(_TEXT), uri=draw(_TEXT),
                                        version=draw(_TEXT)) for taxonomy_id in taxonomy_ids),
        taxonomy_terms=terms)


@settings(deadline=None)
@given(packages())
def test_any_valid_package_survives_both_formats(package: Package) -> None:
    assert parse_json_package(_json_bytes(package_to_json(package))) == package
    assert parse_csv_package(package_to_csv_zip(package)) == package


# --- Problems, JSON -----------------------------------------------------------------------------

def _attribute(service: dict[str, Any], term_id: str) -> tuple[int, dict[str, Any]]:
    return next((i, a) for i, a in enumerate(service["attributes"])
                if a["taxonomy_term_id"] == term_id)


def test_a_bad_json_package_lists_every_problem() -> None:
    document = package_to_json(small_package())
    organizations, locations = document["organizations"], document["locations"]
    welding, german = document["services"]
    welding["minimum_age"] = "ten"
    welding["status"] = "open"
    welding["languages"][0]["code"] = "ENG"
    welding["capacities"][0]["available"] = 99
    target_at, target = _attribute(welding, TARGET_GROUP_TERM_ID)
    target["value"] = "refugees"
    education_at, education = _attribute(welding, MINIMUM_EDUCATION_TERM_ID)
    education["value"] = "isced9"
    intake_at, intake = _attribute(welding, NEXT_INTAKE_DATE_TERM_ID)
    intake["value"] = "2026-13-01"
    term_at, term = _attribute(welding, VOCATIONAL)
    term["taxonomy_term_id"] = MISSING
    german |= {"organization_id": MISSING, "minimum_age": 30, "maximum_age": 20}
    organizations[1]["organization_identifiers"] = copy.deepcopy(
        organizations[0]["organization_identifiers"])
    locations[1]["id"] = TIRANA
    document["service_at_locations"][0] |= {"id": "sal-1", "location_id": MISSING}

    problems = _problems(lambda: parse_json_package(_json_bytes(document)))

    assert set(problems) == {
        f"locations[1].id: '{TIRANA}' is already used by locations[0]",
        "service_at_locations[0].id: must be a UUID, got 'sal-1'",
        "organizations[1].organization_identifiers[0].id: "
        f"'{organizations[0]['organization_identifiers'][0]['id']}' is already used by "
        "organizations[0].organization_identifiers[0]",
        "organizations[1].organization_identifiers[0].identifier: 'al-inst-1' is already the "
        "code of organizations[0].organization_identifiers[0]",
        "services[0].minimum_age: must be a whole number, got 'ten'",
        "services[0].status: must be one of 'active', 'inactive', 'defunct', "
        "'temporarily closed', got 'open'",
        "services[0].languages[0].code: must be an ISO 639-1 code (two lowercase letters), "
        "got 'ENG'",
        "services[0].capacities[0].available: must not exceed maximum 20, got 99",
        f"services[0].attributes[{target_at}].value: must be one of 'returnees', 'immigrants', "
        "'youth', 'unemployed', 'long_term_unemployed', 'women', got 'refugees'",
        f"services[0].attributes[{education_at}].value: must be one of 'isced0', 'isced1', "
        "'isced2', 'isced3', 'isced4', 'isced5', 'isced6', 'isced7', 'isced8', got 'isced9'",
        f"services[0].attributes[{intake_at}].value: must be a date as YYYY-MM-DD, "
        "got '2026-13-01'",
        f"services[0].attributes[{term_at}].taxonomy_term_id: '{MISSING}' names no taxonomy "
        "term in the package or the directory",
        f"services[1].organization_id: '{MISSING}' does not name an organization in the "
        "package",
        "services[1].maximum_age: must not be below minimum_age 30, got 20",
        f"service_at_locations[0].location_id: '{MISSING}' does not name a location in the "
        "package",
        # The second location lost its own id to the duplicate, so its link now dangles.
        f"service_at_locations[1].location_id: '{ONLINE}' does not name a location in the "
        "package",
    }


def test_a_term_the_directory_already_has_needs_not_be_in_the_package() -> None:
    document = package_to_json(small_package())
    _, term = _attribute(document["services"][0], VOCATIONAL)
    term["taxonomy_term_id"] = MISSING
    raw = _json_bytes(document)
    assert any(MISSING in p for p in _problems(lambda: parse_json_package(raw)))
    parsed = parse_json_package(raw, known_term_ids={MISSING.upper()})
    assert parsed.services[0].taxonomy_term_ids == (MISSING,)


@pytest.mark.parametrize(("options", "expected"), [
    ([], (True, None, "")),
    ([{"id": MISSING, "amount": 0}], (True, Decimal(0), "")),
    ([{"id": MISSING, "amount": None, "currency": "EUR"}], (False, None, "EUR")),
    ([{"id": MISSING, "amount": 12.5, "currency": "EUR"}], (False, Decimal("12.5"), "EUR")),
])
def test_free_means_no_cost_option_or_an_amount_of_zero(
        options: list[dict[str, Any]], expected: tuple[bool, Decimal | None, str]) -> None:
    document = package_to_json(small_package())
    document["services"][0]["cost_options"] = options
    [service, _] = parse_json_package(_json_bytes(document)).services
    assert (service.free, service.cost_amount, service.cost_currency) == expected


def test_a_cycle_of_parent_terms_is_a_problem() -> None:
    document = package_to_json(small_package())
    document["taxonomy_terms"][0]["parent_id"] = VOCATIONAL
    problems = _problems(lambda: parse_json_package(_json_bytes(document)))
    assert problems == [f"taxonomy_terms[{i}].parent_id: leads into a circle of parents"
                        for i in (0, 1)]


@pytest.mark.parametrize(("raw", "problem"), [
    (b"{", "not valid JSON: Expecting property name enclosed in double quotes: line 1 column 2 "
           "(char 1)"),
    (b"[]", "the package must be a JSON object with the lists organizations, locations, "
            "services, service_at_locations, taxonomies, taxonomy_terms"),
    (b'{"services": {}}', "services: must be a list, got an object"),
])
def test_what_is_not_a_package_says_so(raw: bytes, problem: str) -> None:
    assert _problems(lambda: parse_json_package(raw)) == [problem]


def test_the_list_of_problems_stops_at_200() -> None:
    problems = _problems(lambda: parse_json_package(_json_bytes({"organizations": [1] * 250})))
    assert len(problems) == 201
    assert problems[0] == "organizations[0]: must be an object, got 1"
    assert problems[-1] == "... and 50 more"


# --- Problems and leniency, CSV -----------------------------------------------------------------

def _members(zip_bytes: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _edit_csv(members: dict[str, bytes], name: str,
              edit: Callable[[list[dict[str, str]]], None]) -> None:
    reader = csv.DictReader(io.StringIO(members[name].decode(), newline=""))
    rows = list(reader)
    edit(rows)
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, fieldnames=list(reader.fieldnames or []))
    writer.writeheader()
    writer.writerows(rows)
    members[name] = text.getvalue().encode()


def test_a_bad_csv_package_lists_every_problem_with_its_row() -> None:
    members = _members(package_to_csv_zip(small_package()))

    def services(rows: list[dict[str, str]]) -> None:
        rows[0] |= {"organization_id": MISSING, "minimum_age": "ten"}

    def languages(rows: list[dict[str, str]]) -> None:
        rows[0]["code"] = "ENG"

    def attributes(rows: list[dict[str, str]]) -> None:
        rows[0]["link_id"] = MISSING
        rows[1]["link_entity"] = "organization"  # not a service's: left out, no problem

    def links(rows: list[dict[str, str]]) -> None:
        rows[1]["service_id"] = "x"

    _edit_csv(members, "services.csv", services)
    _edit_csv(members, "languages.csv", languages)
    _edit_csv(members, "attributes.csv", attributes)
    _edit_csv(members, "service_at_location.csv", links)

    problems = _problems(lambda: parse_csv_package(_zip(members)))

    assert set(problems) == {
        f"attributes.csv row 2: link_id '{MISSING}' does not name a service in the package",
        f"services.csv row 2: organization_id '{MISSING}' does not name an organization in "
        "the package",
        "services.csv row 2: minimum_age must be a whole number, got 'ten'",
        "languages.csv row 2: code must be an ISO 639-1 code (two lowercase letters), got 'ENG'",
        "service_at_location.csv row 3: service_id must be a UUID, got 'x'",
    }


def test_tables_we_do_not_need_may_be_missing() -> None:
    members = _members(package_to_csv_zip(small_package()))
    descriptor = {"resources": [{"name": "organization", "path": "organizations.csv"}]}
    package = parse_csv_package(_zip({"datapackage.json": json.dumps(descriptor).encode(),
                                      "organizations.csv": members["organizations.csv"]}))
    # Without organization_identifiers.csv and phones.csv there is no code and no phone.
    assert package == Package(organizations=tuple(
        replace(o, code="", phone="") for o in small_package().organizations))


def test_a_zipped_folder_with_other_file_names_is_read_too() -> None:
    members = _members(package_to_csv_zip(small_package()))
    descriptor = json.loads(members.pop("datapackage.json"))
    descriptor["resources"] = [r for r in descriptor["resources"]
                               if r["name"] != "service_at_location"]
    members["service_at_locations.csv"] = members.pop("service_at_location.csv")
    folder = {f"export/{name}": data for name, data in members.items()}
    folder["export/datapackage.json"] = json.dumps(descriptor).encode()
    assert parse_csv_package(_zip(folder)) == small_package()


@pytest.mark.parametrize(("zip_bytes", "problem"), [
    (b"PK nonsense", "not a zip file"),
    (_zip({"services.csv": b"id\n"}), "datapackage.json: missing from the zip"),
    (_zip({"datapackage.json": b"{}"}), "datapackage.json: must have a list of resources"),
])
def test_what_is_not_a_csv_package_says_so(zip_bytes: bytes, problem: str) -> None:
    assert _problems(lambda: parse_csv_package(zip_bytes)) == [problem]


def test_a_resource_the_zip_lacks_is_a_problem() -> None:
    descriptor = {"resources": [{"name": "service", "path": "services.csv"}]}
    assert _problems(lambda: parse_csv_package(_zip({
        "datapackage.json": json.dumps(descriptor).encode()}))) == [
        "datapackage.json: resource 'service' is services.csv, which the zip lacks"]
