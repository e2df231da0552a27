"""Waiting on a condition with a deadline, the one way tests wait for other processes."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(condition: Callable[[], bool], *, seconds: float, failure: Callable[[], str],
               interval: float = 0.1, still_running: Callable[[], None] | None = None) -> float:
    """Poll `condition` until it holds; the seconds it took.

    `failure` says what went wrong when the deadline passes; `still_running` is called between
    polls to fail early (it raises) when a process the condition depends on has died.
    """
    started = time.monotonic()
    while not condition():
        if still_running is not None:
            still_running()
        if time.monotonic() - started > seconds:
            raise AssertionError(failure())
        time.sleep(interval)
    return time.monotonic() - started


def data_version_watch_caught_up(database: str, *, seconds: float = 15) -> None:
    """Wait until this process's data-version watcher has read `database`'s version afresh: a
    reading begun after this call, so it holds what the test wrote before. A test does this before
    asking with `max-stale`, which takes the watcher's reading instead of reading ClickHouse."""
    from analytics_stream.data_version import recent_data_version

    began = time.time()

    def caught_up() -> bool:
        reading = recent_data_version(database, max_age_seconds=seconds)
        return reading is not None and reading.read_at >= began

    wait_until(caught_up, seconds=seconds,
               failure=lambda: f"the data-version watcher of {database} read nothing new")
