"""The benchmarks the issues name run end to end on a tiny load and print their JSON figures.

A benchmark is something a user runs from the README, so it must keep working; here each runs as
a user runs it (`msc bench NAME ... --json`, the platform's own settings, not this test run's)
and its last line must be the JSON object with the keys the issues ask for. The figures are not
judged (speed is measured, not tested): only that they are there and describe work done.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.stack.config import load_config
from infra.stack.process import stop_pid
from services.daemons import platform_pids
from tests.conftest import require_component

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def platform() -> Iterator[None]:
    """The stack up; afterwards the API and workers a benchmark started are stopped again."""
    for name in ("postgres", "kafka", "clickhouse", "keycloak"):
        require_component(name)
    running = {name for name, pid in platform_pids().items() if pid is not None}
    yield
    run_dir = load_config().run_dir
    for name, pid in platform_pids().items():
        if pid is not None and name not in running:
            stop_pid(run_dir / f"{name}.pid")


def _platform_environment() -> dict[str, str]:
    """This process's environment without what the test run set for itself (its settings, and
    the databases and topic prefix named after its run id): a benchmark runs on the platform's
    own, as `msc bench` does for a user."""
    run_id = os.environ["MSC_TEST_RUN_ID"]
    return {key: value for key, value in os.environ.items()
            if key not in ("DJANGO_SETTINGS_MODULE", "MSC_TEST_RUN_ID") and run_id not in value}


def _bench(name: str, *options: str) -> dict[str, Any]:
    env = _platform_environment()
    done = subprocess.run([sys.executable, "-m", "services.cli", "bench", name, *options,
                           "--json"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=900, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def test_intake(platform: None) -> None:
    figures = _bench("intake", "--latency-rate", "20", "--latency-seconds", "2", "--rate", "20",
                     "--seconds", "2", "--bulk-batches", "1")
    assert figures["sustained_visits_per_s"] > 0 and figures["bulk_visits_per_s"] > 0
    assert figures["p99_ms_at_300"] > 0 and figures["relay_lag_p99_ms"] > 0
    assert figures["errors"] == 0


def test_stream(platform: None) -> None:
    figures = _bench("stream", "--events", "3000")
    assert figures["events"] == 3000
    assert figures["worker_events_per_s"] > 0 and figures["bare_consumer_events_per_s"] > 0


def test_freshness(platform: None) -> None:
    figures = _bench("freshness", "--rate", "40", "--batch", "4", "--seconds", "3")
    assert figures["visits"] == 120 and figures["seen"] == 120  # every accepted visit counted
    assert 0 < figures["p50_s"] <= figures["p99_s"]


def test_stats(platform: None) -> None:
    figures = _bench("stats", "--visits", "1000", "--requests", "2", "--live", "3")
    assert figures["visits_loaded"] == 1000
    assert figures["p99_ms"] > 0 and figures["live_p99_ms"] > 0
    assert len(figures["questions"]) == 7
