"""Tests: an isolated PostgreSQL database, ClickHouse database and Kafka topic prefix per run."""

import os
import tempfile
import uuid
from pathlib import Path

# One id per test run (the pytest process) so two runs never see each other's data.
RUN_ID = os.environ.setdefault("MSC_TEST_RUN_ID", uuid.uuid4().hex[:10])
os.environ.setdefault("MSC_PG_DATABASE", f"msc_test_{RUN_ID}")
os.environ.setdefault("MSC_CLICKHOUSE_DATABASE", f"msc_test_{RUN_ID}")
os.environ.setdefault("MSC_KAFKA_TOPIC_PREFIX", f"test-{RUN_ID}.")

from services.settings.base import *  # noqa: E402, F403 - reads the variables set above
from services.settings.base import CACHES, DATABASES  # noqa: E402

SECRET_KEY = "msc-test-secret-key"  # noqa: S105 - tests only
for _alias in DATABASES.values():
    _alias["CONN_MAX_AGE"] = 0

# Tests receive webhooks on loopback.
WEBHOOK_ALLOW_PRIVATE = True

# The run's own request counts: the tests' callers are the running platform's users too.
THROTTLE_DIR = Path(tempfile.gettempdir()) / f"msc-test-{RUN_ID}-throttle"

# And its own cache, emptied before every test (tests.conftest).
CACHES["default"]["LOCATION"] = str(Path(tempfile.gettempdir()) / f"msc-test-{RUN_ID}-cache")
STATS_COUNT_LOCK_DIR = Path(tempfile.gettempdir()) / f"msc-test-{RUN_ID}-stats-counts"
