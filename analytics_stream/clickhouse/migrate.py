"""Numbered ClickHouse migrations and the schema snapshot that shows every change in review.

A migration is a module `analytics_stream/clickhouse/migrations/NNNN_name.py` exposing
`operations(database) -> list[str]`, built from the SQL builders in `clickhouse/sql/`.
Applied names are recorded in `<database>.schema_migrations`. ClickHouse has no transactional DDL:
a migration interrupted after its DDL but before its record runs again, so every statement must be
idempotent (`IF NOT EXISTS`, `IF EXISTS`).
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import cast

from clickhouse_driver import Client
from django.conf import settings

from analytics_stream.clickhouse import migrations as migrations_package
from analytics_stream.clickhouse.client import clickhouse_client
from analytics_stream.clickhouse.sql import checked_identifier

MIGRATIONS_TABLE = "schema_migrations"
DATABASE_PLACEHOLDER = "{database}"
_MIGRATION_NAME = re.compile(r"(\d{4})_\w+")


def migration_names() -> list[str]:
    """Every migration module's name, in the order they apply."""
    names = sorted(
        module.name
        for module in pkgutil.iter_modules(migrations_package.__path__)
        if _MIGRATION_NAME.fullmatch(module.name)
    )
    numbers = [name[:4] for name in names]
    duplicates = sorted({number for number in numbers if numbers.count(number) > 1})
    if duplicates:
        raise RuntimeError(f"two ClickHouse migrations share the number(s) {duplicates}")
    return names


def _operations(name: str) -> Callable[[str], list[str]]:
    module = importlib.import_module(f"{migrations_package.__name__}.{name}")
    return cast(Callable[[str], list[str]], module.operations)


def _admin_client() -> Client:
    # The target database may not exist yet, and a client bound to a missing database cannot
    # connect; every statement below names its database explicitly.
    return clickhouse_client("default")


def apply_migrations(database: str | None = None) -> list[str]:
    """Create `database` if needed and apply the migrations not yet recorded; the names applied.

    Safe to re-run: a second call applies nothing. None means the configured database.
    """
    db = checked_identifier(settings.CLICKHOUSE["DATABASE"] if database is None else database)
    client = _admin_client()
    try:
        client.execute(f"CREATE DATABASE IF NOT EXISTS {db}")
        client.execute(
            f"CREATE TABLE IF NOT EXISTS {db}.{MIGRATIONS_TABLE} "
            "(name String, applied_at DateTime) ENGINE = MergeTree ORDER BY name"
        )
        # S608: `db` passed checked_identifier and the table name is a constant.
        done_rows = client.execute(f"SELECT name FROM {db}.{MIGRATIONS_TABLE}")  # noqa: S608
        done = {row[0] for row in done_rows}
        applied: list[str] = []
        for name in migration_names():
            if name in done:
                continue
            for statement in _operations(name)(db):
                client.execute(statement)
            client.execute(
                f"INSERT INTO {db}.{MIGRATIONS_TABLE} (name, applied_at) VALUES",
                [(name, datetime.now(UTC).replace(microsecond=0, tzinfo=None))],
            )
            applied.append(name)
        return applied
    finally:
        client.disconnect()


def drop_database(database: str) -> None:
    """Drop `database` and everything in it (tests and throw-away environments only)."""
    client = _admin_client()
    try:
        client.execute(f"DROP DATABASE IF EXISTS {checked_identifier(database)}")
    finally:
        client.disconnect()


def _top_level_split(text: str) -> list[str]:
    """`text` split at the commas that are not inside parentheses."""
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for char in text:
        if char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
            continue
        depth += (char == "(") - (char == ")")
        current.append(char)
    parts.append("".join(current).strip())
    return parts


def normalise_create_table(statement: str, database: str) -> str:
    """`SHOW CREATE TABLE` output in one layout whatever the server version, database a placeholder.

    ClickHouse 18.16 prints the statement on one line; current versions print it on many lines
    with back-quoted names. Both become: one column per line, one clause per line.
    """
    flat = " ".join(statement.replace("`", "").split())
    flat = flat.replace(f" {database}.", f" {DATABASE_PLACEHOLDER}.", 1)
    open_at = flat.index("(")
    depth = 0
    for close_at in range(open_at, len(flat)):
        depth += (flat[close_at] == "(") - (flat[close_at] == ")")
        if depth == 0:
            break
    head = flat[:open_at].strip()
    columns = _top_level_split(flat[open_at + 1:close_at])
    tail = flat[close_at + 1:].strip()
    for clause in ("PARTITION BY", "PRIMARY KEY", "ORDER BY", "SAMPLE BY", "SETTINGS"):
        tail = tail.replace(f" {clause} ", f"\n{clause} ")
    body = ",\n".join(f"    {column}" for column in columns)
    return f"{head}\n(\n{body}\n)\n{tail}"


def schema_snapshot(database: str) -> str:
    """Every table's DDL in `database` but the migration log, sorted, database a placeholder."""
    db = checked_identifier(database)
    client = _admin_client()
    try:
        tables = client.execute(
            "SELECT name FROM system.tables WHERE database = %(database)s AND name != %(log)s "
            "ORDER BY name",
            {"database": db, "log": MIGRATIONS_TABLE},
        )
        statements = [
            normalise_create_table(client.execute(f"SHOW CREATE TABLE {db}.{table}")[0][0], db)
            for (table,) in tables
        ]
    finally:
        client.disconnect()
    return "".join(f"{statement};\n\n" for statement in statements).rstrip("\n") + "\n"
