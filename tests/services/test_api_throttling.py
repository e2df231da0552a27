"""The request counts behind the rates per caller: per window, exact across processes (the API's
gunicorn workers), never in the way when they cannot be kept, and pruned of callers long gone.
The rates as callers meet them (429, Retry-After) are in tests/security/test_resource_limits.py."""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path

from services.api.throttling import STALE_SECONDS, WindowCounts

WINDOW = 1_800_000_000  # the start of some window (a multiple of a minute, an hour and a day)


def test_counts_are_per_key_and_per_window(tmp_path: Path) -> None:
    counts = WindowCounts(tmp_path / "counts")
    assert [counts.hit("user_burst:a", WINDOW) for _ in range(3)] == [1, 2, 3]
    assert counts.hit("user_burst:b", WINDOW) == 1
    assert counts.hit("user_sustained:a", WINDOW) == 1
    assert counts.hit("user_burst:a", WINDOW + 60) == 1  # the next window starts again
    assert counts.hit("user_burst:a", WINDOW + 60) == 2


def _hit_many(directory: Path, times: int) -> None:
    counts = WindowCounts(directory)
    for _ in range(times):
        counts.hit("user_burst:shared", WINDOW)


def test_processes_share_the_counts_and_lose_no_request(tmp_path: Path) -> None:
    """Four processes hitting one key at once, as gunicorn's workers do: every hit counts."""
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_hit_many, args=(tmp_path, 250)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    assert WindowCounts(tmp_path).hit("user_burst:shared", WINDOW) == 4 * 250 + 1


def test_counts_that_cannot_be_kept_let_requests_through(tmp_path: Path) -> None:
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("")
    counts = WindowCounts(not_a_directory)
    assert counts.hit("user_burst:a", WINDOW) is None
    assert counts.hit("user_burst:a", WINDOW) is None


def test_an_unreadable_record_starts_the_window_again(tmp_path: Path) -> None:
    counts = WindowCounts(tmp_path)
    counts.hit("anon:203.0.113.9", WINDOW)
    [record] = tmp_path.iterdir()
    record.write_bytes(b"\x00garbage")
    assert counts.hit("anon:203.0.113.9", WINDOW) == 1


def test_a_new_caller_prunes_the_counts_of_callers_gone_for_a_day(tmp_path: Path) -> None:
    counts = WindowCounts(tmp_path)
    counts.hit("anon:203.0.113.1", WINDOW)
    counts.hit("anon:203.0.113.2", WINDOW)
    gone, recent = sorted(tmp_path.iterdir())
    long_ago = time.time() - STALE_SECONDS - 60
    os.utime(gone, (long_ago, long_ago))
    counts._pruned_at = 0.0  # as in a process that has not pruned for an hour
    counts.hit("anon:203.0.113.3", WINDOW)
    assert not gone.exists()
    assert recent.exists()
    assert len(list(tmp_path.iterdir())) == 2
