"""The data version, and the watcher that reads it for callers who accept stale figures (real
ClickHouse): a reading comes after the first ask, follows new rows, and stops when nobody asks."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

import pytest

from analytics_stream import data_version as watch
from analytics_stream.clickhouse.client import clickhouse_client
from analytics_stream.clickhouse.sql import insert_sql
from analytics_stream.clickhouse.sql.sessions import (
    GROUP_SESSION_FACT_COLUMNS,
    GROUP_SESSION_FACTS_TABLE,
)
from analytics_stream.data_version import data_version, recent_data_version
from tests.waiting import data_version_watch_caught_up, wait_until


def _new_session(database: str) -> None:
    """A row in a fact table: a new part, so a new data version."""
    day = date(2026, 2, 10)
    row = ("AL", f"session-{time.time_ns()}", 1, f"event-{time.time_ns()}", day,
           datetime(2026, 2, 10, 10, tzinfo=UTC), "centre", "Centre", "cv", "", 12)
    clickhouse_client(database).execute(
        insert_sql(database, GROUP_SESSION_FACTS_TABLE, GROUP_SESSION_FACT_COLUMNS), [row])


def _version_now(database: str) -> str:
    client = clickhouse_client(database)
    try:
        return data_version(client, database)
    finally:
        client.disconnect()


def test_the_version_changes_with_each_insert(clickhouse_database: str) -> None:
    before = _version_now(clickhouse_database)
    assert _version_now(clickhouse_database) == before
    _new_session(clickhouse_database)
    assert _version_now(clickhouse_database) != before


def test_the_watcher_reads_the_version_and_follows_new_rows(clickhouse_database: str) -> None:
    data_version_watch_caught_up(clickhouse_database)
    reading = recent_data_version(clickhouse_database, max_age_seconds=5)
    assert reading is not None and reading.version == _version_now(clickhouse_database)
    assert time.time() - reading.read_at < 5

    _new_session(clickhouse_database)
    data_version_watch_caught_up(clickhouse_database)
    after = recent_data_version(clickhouse_database, max_age_seconds=5)
    assert after is not None and after.read_at > reading.read_at
    assert after.version != reading.version
    assert after.version == _version_now(clickhouse_database)
    # A reading older than the caller accepts is none: the caller reads for itself.
    assert recent_data_version(clickhouse_database, max_age_seconds=0) is None


def test_the_watcher_stops_when_nobody_asks(clickhouse_database: str,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(watch, "WATCH_IDLE_SECONDS", 0.5)
    data_version_watch_caught_up(clickhouse_database)
    thread = watch._watches[clickhouse_database]
    thread.join(10)
    assert not thread.is_alive() and clickhouse_database not in watch._watches
    # The next ask starts another, which reads again.
    wait_until(lambda: recent_data_version(clickhouse_database, max_age_seconds=5) is not None,
               seconds=10, failure=lambda: "no reading after the watcher was started again")


def test_a_watcher_that_cannot_read_gives_no_version(clickhouse_database: str) -> None:
    missing = f"{clickhouse_database}_missing"
    recent_data_version(missing, max_age_seconds=5)
    thread = watch._watches[missing]
    wait_until(lambda: thread.failures >= 2, seconds=10,
               failure=lambda: "the watcher of a missing database did not try twice")
    # No reading: a caller reads the version itself, and meets the error.
    assert recent_data_version(missing, max_age_seconds=5) is None
