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
