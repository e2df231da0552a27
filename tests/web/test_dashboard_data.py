"""What the dashboard polls, `/dashboard/data`: its errors are the API's, code and message."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from django.core.cache import cache

from analytics_stream import statistics
from services.tenancy.models import TENANT_CODES
from tests.pipeline_helpers import insert_held_session
from tests.waiting import data_version_watch_caught_up
from tests.web.conftest import logged_in

pytestmark = pytest.mark.django_db

# What the regional office's dashboard asks by default: the whole region, a quarter.
REGION_Q1 = statistics.Scope(tuple(sorted(TENANT_CODES)), date(2026, 1, 1), date(2026, 3, 31),
                             controlled=True)


def test_figures_being_counted_say_so_and_when_to_ask_again(stack: None, clickhouse_database: str,
                                                            settings: Any) -> None:
    settings.STATS_COUNT_WAIT_SECONDS = 0  # every count takes longer than the poll waits
    answer = logged_in("regional.monitor").get(
        "/dashboard/data", {"from": "2026-01-01", "to": "2026-03-31"})
    assert answer.status_code == 503, answer.content
    error = answer.json()["error"]
    assert error["code"] == "statistics_counting"
    assert "being counted" in error["message"]
    assert int(answer["Retry-After"]) > 0


def test_a_bad_period_names_the_field(stack: None, clickhouse_database: str) -> None:
    answer = logged_in("regional.monitor").get(
        "/dashboard/data", {"from": "2026-03-31", "to": "2026-01-01"})
    assert answer.status_code == 400, answer.content
    error = answer.json()["error"]
    assert error["code"] == "invalid"
    assert set(error["fields"]) and all(name in error["message"] for name in error["fields"])


def test_figures_counted_long_ago_are_shown_at_once_with_their_age(
        stack: None, clickhouse_database: str, settings: Any) -> None:
    settings.STATS_COUNT_WAIT_SECONDS = 0  # a count never holds up the answer
    monitor = logged_in("regional.monitor")
    period = {"from": "2026-01-01", "to": "2026-03-31"}
    statistics.summary_of(REGION_Q1, database=clickhouse_database)  # counted once, as before
    key = statistics._cache_key(clickhouse_database, REGION_Q1)
    counted = statistics._cached(key)
    assert counted is not None, "the dashboard's scope must be the one counted above"
    # Counted five minutes ago, and a session held since.
    cache.set(key, replace(counted, counted_at=counted.counted_at - 300), 600)
    insert_held_session(clickhouse_database, date(2026, 2, 10))
    data_version_watch_caught_up(clickhouse_database)  # the dashboard takes the watcher's version

    # While another worker process counts the region (it holds the host's lock for the scope),
    # the page gets the figures it has, marked with their age, instead of waiting for the count.
    with statistics.host_lock(key):
        answer = monitor.get("/dashboard/data", period)
        assert answer.status_code == 200, answer.content
        assert int(answer["Age"]) >= 300
        assert answer.json() == counted.summary
    statistics.wait_for_counts(30)
    current = monitor.get("/dashboard/data", period)
    assert (current.status_code, "Age" in current) == (200, False)
    recounted = statistics._cached(key)
    assert recounted is not None and recounted.version != counted.version
