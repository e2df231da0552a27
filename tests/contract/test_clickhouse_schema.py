"""Every ClickHouse schema change shows up in review as a change of the committed snapshot."""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from analytics_stream.clickhouse.migrate import apply_migrations, drop_database, schema_snapshot
from tests.conftest import require_component

SNAPSHOT = Path(__file__).parent / "snapshots" / "clickhouse_schema.sql"

pytestmark = pytest.mark.integration


@pytest.fixture
def fresh_database() -> Iterator[str]:
    require_component("clickhouse")
    database = f"msc_schema_{os.environ['MSC_TEST_RUN_ID']}"
    drop_database(database)
    try:
        yield database
    finally:
        drop_database(database)


def test_migrations_match_the_snapshot_and_apply_once(fresh_database: str) -> None:
    applied = apply_migrations(fresh_database)
    assert applied, "no ClickHouse migration was applied to a fresh database"
    assert apply_migrations(fresh_database) == []
    actual = schema_snapshot(fresh_database)
    if os.environ.get("MSC_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(actual)
    expected = SNAPSHOT.read_text() if SNAPSHOT.exists() else ""
    diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                        "committed snapshot", "migrated schema"))
    assert not diff, (
        "The ClickHouse schema differs from tests/contract/snapshots/clickhouse_schema.sql. "
        "If the change is intended, rerun with MSC_UPDATE_SNAPSHOTS=1 and commit the file.\n"
        + diff
    )
