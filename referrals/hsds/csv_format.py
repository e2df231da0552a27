"""Records as an HSDS 3 tabular data package (a zip of CSV files with datapackage.json) and back.

Writing flattens the JSON objects: each nested list becomes rows of its own table that name
their owner (`service_id`, `contact_id`, ...). Reading attaches those rows to their owner again,
so both formats go through the same checks (`validation`).
"""

from __future__ import annotations

import csv
import io
import json
import posixpath
import zipfile
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from referrals.hsds.json_format import package_to_json
from referrals.hsds.records import Package, PackageInvalid
from referrals.hsds.validation import Node, Problems, Where, as_uuid, decode_package, show

DATAPACKAGE = "datapackage.json"
#: More than a national directory ever needs; stops a zip bomb before it is unpacked.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
#: Fixed member times, so that the same directory always exports to the same bytes.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Table:
    """One HSDS table: its resource name, file and the columns we write."""

    name: str
    path: str
    columns: tuple[str, ...]
    aliases: tuple[str, ...] = ()  # other file names accepted on import


TABLES = (
    Table("organization", "organizations.csv",
          ("id", "name", "alternate_name", "description", "email", "website")),
    Table("organization_identifier", "organization_identifiers.csv",
          ("id", "organization_id", "identifier_scheme", "identifier_type", "identifier")),
    Table("service", "services.csv",
          ("id", "organization_id", "name", "alternate_name", "description", "url", "email",
           "status", "fees_description", "eligibility_description", "minimum_age",
           "maximum_age", "application_process")),
    Table("service_at_location", "service_at_location.csv",
          ("id", "service_id", "location_id"), aliases=("service_at_locations.csv",)),
    Table("location", "locations.csv",
          ("id", "location_type", "organization_id", "name", "latitude", "longitude",
           "external_identifier", "external_identifier_type")),
    Table("phone", "phones.csv", ("id", "organization_id", "contact_id", "number")),
    Table("contact", "contacts.csv", ("id", "service_id", "name", "email")),
    Table("address", "addresses.csv",
          ("id", "location_id", "address_1", "city", "postal_code", "address_type"),
          aliases=("address.csv",)),
    Table("schedule", "schedules.csv", ("id", "service_id", "description")),
    Table("language", "languages.csv", ("id", "service_id", "name", "code")),
    Table("cost_option", "cost_options.csv",
          ("id", "service_id", "option", "currency", "amount")),
    Table("service_capacity", "service_capacity.csv",
          ("id", "service_id", "unit_id", "available", "maximum", "description", "updated")),
    Table("unit", "units.csv", ("id", "name", "scheme")),
    Table("attribute", "attributes.csv",
          ("id", "link_id", "link_type", "link_entity", "taxonomy_term_id", "value")),
    Table("taxonomy", "taxonomies.csv", ("id", "name", "description", "uri", "version")),
    Table("taxonomy_term", "taxonomy_terms.csv",
          ("id", "code", "name", "description", "parent_id", "taxonomy", "taxonomy_id",
           "language")),
)

#: The package's top-level lists and their tables.
TOP_LEVEL = {"organizations": "organization", "locations": "location", "services": "service",
             "service_at_locations": "service_at_location", "taxonomies": "taxonomy",
             "taxonomy_terms": "taxonomy_term"}


@dataclass(frozen=True)
class Nesting:
    """Rows of `child` whose `foreign_key` names a `parent` row are its list `key`."""

    parent: str
    key: str
    child: str
    foreign_key: str
    noun: str  # the parent, as a problem message names it


NESTINGS = (
    Nesting("organization", "phones", "phone", "organization_id", "an organization"),
    Nesting("organization", "organization_identifiers", "organization_identifier",
            "organization_id", "an organization"),
    Nesting("location", "addresses", "address", "location_id", "a location"),
    Nesting("service", "languages", "language", "service_id", "a service"),
    Nesting("service", "cost_options", "cost_option", "service_id", "a service"),
    Nesting("service", "capacities", "service_capacity", "service_id", "a service"),
    Nesting("service", "schedules", "schedule", "service_id", "a service"),
    Nesting("service", "contacts", "contact", "service_id", "a service"),
    Nesting("service", "attributes", "attribute", "link_id", "a service"),
    Nesting("contact", "phones", "phone", "contact_id", "a contact"),
)

_FOREIGN_KEYS = {"organization_id": "organization", "service_id": "service",
                 "location_id": "location", "contact_id": "contact", "unit_id": "unit",
                 "taxonomy_id": "taxonomy", "taxonomy_term_id": "taxonomy_term",
                 "parent_id": "taxonomy_term"}
_TYPES = {"minimum_age": "integer", "maximum_age": "integer", "available": "integer",
          "maximum": "integer", "amount": "number", "latitude": "number",
          "longitude": "number", "updated": "datetime"}
_FORMATS = {"email": "email", "url": "uri", "website": "uri", "uri": "uri"}


# --- Writing ------------------------------------------------------------------------------------

def package_to_csv_zip(package: Package) -> bytes:
    """The package as a zip of HSDS CSV tables, the inverse of `parse_csv_package`."""
    rows: dict[str, list[dict[str, Any]]] = {table.name: [] for table in TABLES}
    document = package_to_json(package)
    for key, table_name in TOP_LEVEL.items():
        for obj in document[key]:
            _flatten(table_name, obj, rows)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        _write(archive, DATAPACKAGE, json.dumps(datapackage(), indent=2) + "\n")
        for table in TABLES:
            _write(archive, table.path, _csv_text(table, rows[table.name]))
    return buffer.getvalue()


def datapackage() -> dict[str, Any]:
    """The Frictionless tabular data package descriptor of our tables."""
    return {
        "name": "msc-directory",
        "title": "Migrant Service Centre referral directory (Open Referral HSDS 3.1)",
        "profile": "tabular-data-package",
        "resources": [_resource(table) for table in TABLES],
    }


def _resource(table: Table) -> dict[str, Any]:
    schema: dict[str, Any] = {"fields": [_field(c) for c in table.columns], "primaryKey": "id"}
    foreign_keys = [{"fields": c, "reference": {"resource": _FOREIGN_KEYS[c], "fields": "id"}}
                    for c in table.columns if c in _FOREIGN_KEYS]
    if foreign_keys:
        schema["foreignKeys"] = foreign_keys
    return {"name": table.name, "path": table.path, "format": "csv", "mediatype": "text/csv",
            "encoding": "utf-8", "profile": "tabular-data-resource", "schema": schema}


def _field(column: str) -> dict[str, Any]:
    if column == "id":
        return {"name": column, "type": "string", "format": "uuid",
                "constraints": {"required": True, "unique": True}}
    if column in _FOREIGN_KEYS or column == "link_id":
        return {"name": column, "type": "string", "format": "uuid"}
    described: dict[str, Any] = {"name": column, "type": _TYPES.get(column, "string")}
    if column in _FORMATS:
        described["format"] = _FORMATS[column]
    return described


def _flatten(table_name: str, obj: dict[str, Any], rows: dict[str, list[dict[str, Any]]]) -> None:
    rows[table_name].append(obj)
    for nesting in NESTINGS:
        if nesting.parent == table_name:
            for child in obj[nesting.key]:
                _flatten(nesting.child, child, rows)
    unit = obj.get("unit") if table_name == "service_capacity" else None
    if unit is not None and unit not in rows["unit"]:  # one units row, shared by capacities
        rows["unit"].append(unit)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)  # the shortest text that reads back as the same float
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _csv_text(table: Table, rows: Sequence[dict[str, Any]]) -> str:
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(table.columns)
    writer.writerows([_cell(row.get(c)) for c in table.columns] for row in rows)
    return text.getvalue()


def _write(archive: zipfile.ZipFile, name: str, text: str) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, text.encode("utf-8"))


# --- Reading ------------------------------------------------------------------------------------

@dataclass
class CsvNode:
    """A CSV row, with the rows of other tables that name it attached under their key."""

    fields: dict[str, str]
    where: Where
    attached: dict[str, list[CsvNode]] = field(default_factory=dict)

    def get(self, name: str) -> object:
        return self.fields.get(name)

    def children(self, key: str, problems: Problems) -> Sequence[Node]:
        return self.attached.get(key, [])


def parse_csv_package(zip_bytes: bytes, *, known_term_ids: Collection[str] = ()) -> Package:
    """The package in a zip of HSDS CSV tables, or PackageInvalid. Tables we do not need may be
    missing; `known_term_ids` as for `parse_json_package`."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(zip_bytes))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError):
        raise PackageInvalid(["not a zip file"]) from None
    problems = Problems()
    with archive:
        unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_UNPACKED_BYTES:
            raise PackageInvalid([f"the zip unpacks to {unpacked} bytes, more than the "
                                  f"{MAX_UNPACKED_BYTES} allowed"])
        paths = _table_paths(archive, problems)
        tables = {table.name: _read_table(archive, paths.get(table.name), problems)
                  for table in TABLES}
    _attach(tables, problems)
    collections = {key: tables[table_name] for key, table_name in TOP_LEVEL.items()}
    return decode_package(collections, known_term_ids, problems)


def _table_paths(archive: zipfile.ZipFile, problems: Problems) -> dict[str, str]:
    """Where each table is in the zip: as datapackage.json says, else under its usual name.

    A zip of the package's folder (rather than of its files) works too.
    """
    names = set(archive.namelist())
    found = sorted((n for n in names if posixpath.basename(n) == DATAPACKAGE), key=len)
    if not found:
        raise PackageInvalid([f"{DATAPACKAGE}: missing from the zip"])
    folder = posixpath.dirname(found[0])
    try:
        descriptor = json.loads(archive.read(found[0]))
    except (ValueError, RecursionError, zipfile.BadZipFile, NotImplementedError,
            RuntimeError) as exc:
        raise PackageInvalid([f"{DATAPACKAGE}: not valid JSON: {exc}"]) from None
    resources = descriptor.get("resources") if isinstance(descriptor, dict) else None
    if not isinstance(resources, list):
        raise PackageInvalid([f"{DATAPACKAGE}: must have a list of resources"])
    declared = {r["name"]: r["path"] for r in resources if isinstance(r, dict)
                and isinstance(r.get("name"), str) and isinstance(r.get("path"), str)}
    paths: dict[str, str] = {}
    for table in TABLES:
        if table.name in declared:
            path = posixpath.join(folder, declared[table.name])
            if path in names:
                paths[table.name] = path
            else:
                problems.on(Where(DATAPACKAGE), f"resource '{table.name}' is "
                                                f"{declared[table.name]}, which the zip lacks")
            continue
        for candidate in (table.path, *table.aliases):
            if posixpath.join(folder, candidate) in names:
                paths[table.name] = posixpath.join(folder, candidate)
                break
    return paths


def _read_table(archive: zipfile.ZipFile, path: str | None, problems: Problems) -> list[CsvNode]:
    """The table's rows; rows are numbered as a spreadsheet shows them (the header is row 1)."""
    if path is None:
        return []
    label = posixpath.basename(path)
    try:
        text = archive.read(path).decode("utf-8-sig")
    except UnicodeDecodeError:
        problems.on(Where(label), "is not UTF-8 text")
        return []
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError) as exc:
        problems.on(Where(label), f"cannot be unpacked: {exc}")  # corrupt, encrypted, ...
        return []
    records = csv.reader(io.StringIO(text, newline=""))
    nodes: list[CsvNode] = []
    try:
        header = next(records, None)
        if header is None:
            return []
        if "id" not in header:
            problems.on(Where(label), "has no id column")
            return []
        for number, cells in enumerate(records, start=2):
            where = Where(f"{label} row {number}", tabular=True)
            if not any(cells):
                continue
            if len(cells) > len(header):
                problems.on(where, f"has {len(cells)} cells but the header has {len(header)}")
                continue
            nodes.append(CsvNode(dict(zip(header, cells, strict=False)), where))
    except csv.Error as exc:
        problems.on(Where(label), f"is not valid CSV: {exc}")
    return nodes


def _attach(tables: dict[str, list[CsvNode]], problems: Problems) -> None:
    """Attach each row to the row its foreign key names; a name that matches nothing is a
    problem. Rows that name nothing we keep (a location's language, say) are left out."""
    for nesting in NESTINGS:
        owners = _by_id(tables[nesting.parent])
        for node in tables[nesting.child]:
            if nesting.child == "attribute" and node.fields.get("link_entity") not in (
                    None, "", "service"):
                continue  # an attribute of something else: not ours to keep
            value = node.fields.get(nesting.foreign_key) or ""
            if not value:
                continue
            owner_id = as_uuid(value)
            if owner_id is None:
                problems.at(node.where, nesting.foreign_key, f"must be a UUID, got {show(value)}")
            elif owner_id not in owners:
                problems.at(node.where, nesting.foreign_key,
                            f"'{owner_id}' does not name {nesting.noun} in the package")
            else:
                owners[owner_id].attached.setdefault(nesting.key, []).append(node)
    units = _by_id(tables["unit"])
    for capacity in tables["service_capacity"]:
        unit_id = as_uuid(capacity.fields.get("unit_id") or "")
        if unit_id is not None and unit_id in units:
            capacity.attached["unit"] = [units[unit_id]]


def _by_id(nodes: Sequence[CsvNode]) -> dict[str, CsvNode]:
    owners: dict[str, CsvNode] = {}
    for node in nodes:
        node_id = as_uuid(node.fields.get("id") or "")
        if node_id is not None:
            owners.setdefault(node_id, node)
    return owners
