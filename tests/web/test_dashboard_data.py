"""What the dashboard polls, `/dashboard/data`: its errors are the API's, code and message."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import logged_in

pytestmark = pytest.mark.django_db


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
