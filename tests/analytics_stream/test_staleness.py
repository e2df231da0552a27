"""How much staleness a request's `Cache-Control` accepts, and how the answer says its age."""

from __future__ import annotations

import pytest

from analytics_stream.statistics import SUMMARY_CACHE_SECONDS, Answer
from analytics_stream.stats_apis import accepted_staleness, age_header


@pytest.mark.parametrize(("cache_control", "seconds"), [
    ("", 0.0),
    ("no-cache", 0.0),
    ("max-stale=30", 30.0),
    ("no-transform, Max-Stale = 5", 5.0),  # names are case-insensitive; spaces tolerated
    ("no-transform, max-stale=5", 5.0),
    ('max-stale="12"', 12.0),
    ("max-stale", float(SUMMARY_CACHE_SECONDS)),
    ("max-stale=999999", float(SUMMARY_CACHE_SECONDS)),
    ("max-stale=-3", 0.0),
    ("max-stale=soon", 0.0),
    ("max-stale=1.5", 0.0),
    ("max-stale=", 0.0),
    ("no-cache, max-stale=30", 0.0),  # current figures wanted after all
    ("max-age=0, max-stale=30", 0.0),
    ("max-age=5, max-stale=30", 30.0),
])
def test_max_stale_is_read_as_rfc_9111_says(cache_control: str, seconds: float) -> None:
    assert accepted_staleness(cache_control) == seconds


def test_only_stale_figures_carry_an_age() -> None:
    assert age_header(Answer({})) == {}
    assert age_header(Answer({}, stale_seconds=2.7)) == {"Age": "2"}
    assert age_header(Answer({}, stale_seconds=0.4)) == {"Age": "0"}
