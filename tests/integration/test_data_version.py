"""The data version, and the watcher that reads it for callers who accept stale figures (real
ClickHouse): a reading comes after the first ask, follows new rows, and stops when nobody asks."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from analytics_stream import data_version as watch
from analytics_stream.data_version import current_data_version, recent_data_version
from tests.pipeline_helpers import insert_held_session
from tests.waiting import data_version_watch_caught_up, wait_until


def test_the_version_changes_with_each_insert(clickhouse_database: str) -> None:
    before = current_data_version(clickhouse_database)
    assert current_data_version(clickhouse_database) == before
    insert_held_session(clickhouse_database, date(2026, 2, 10))
    assert current_data_version(clickhouse_database) != before


def test_the_watcher_reads_the_version_and_follows_new_rows(clickhouse_database: str) -> None:
    data_version_watch_caught_up(clickhouse_database)
    reading = recent_data_version(clickhouse_database, max_age_seconds=5)
    assert reading is not None and reading.version == current_data_version(clickhouse_database)
    assert time.time() - reading.read_at < 5

    insert_held_session(clickhouse_database, date(2026, 2, 10))
    data_version_watch_caught_up(clickhouse_database)
    after = recent_data_version(clickhouse_database, max_age_seconds=5)
    assert after is not None and after.read_at > reading.read_at
    assert after.version != reading.version
    assert after.version == current_data_version(clickhouse_database)
    # A reading older than the caller accepts is none: the caller reads for itself.
    assert recent_data_version(clickhouse_database, max_age_seconds=0) is None


def test_the_watcher_stops_when_nobody_asks(clickhouse_database: str, settings: Any) -> None:
    settings.STATS_VERSION_WATCH_IDLE_SECONDS = 0.5
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
