"""A fingerprint of what ClickHouse holds, cheap to read, that changes whenever the data does.

Every insert into a MergeTree table makes a new part with a higher block number; a merge replaces
parts (fewer of them, another modification time) without changing what a query reads, and a
rebuilt table (`msc replay` renames a new one in) has parts of its own. So the active parts' highest
block number, count, rows and latest modification time, per fact table, change with every write
that can change a figure. Read from `system.parts`: metadata only, but its cost grows with the
number of parts (about 4 ms with a few parts, 15-25 ms with ten years of monthly partitions, and
more while a count keeps both cores busy).

`recent_data_version` saves callers who accept slightly stale figures that read: one thread per
process and database reads the version every `WATCH_INTERVAL_SECONDS` while anyone asks.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass

from clickhouse_driver import Client
from clickhouse_driver.errors import Error as ClickHouseError
from django.conf import settings

from analytics_stream.clickhouse.client import clickhouse_client
from analytics_stream.clickhouse.sql.referrals import REFERRAL_FACTS_TABLE
from analytics_stream.clickhouse.sql.sessions import GROUP_SESSION_FACTS_TABLE
from analytics_stream.clickhouse.sql.visits import VISIT_FACTS_TABLE

logger = logging.getLogger(__name__)

FACT_TABLES = (VISIT_FACTS_TABLE, GROUP_SESSION_FACTS_TABLE, REFERRAL_FACTS_TABLE)

_PARTS_SQL = """
SELECT table, max(max_block_number), count(), sum(rows), max(modification_time)
FROM system.parts
WHERE database = %(database)s AND table IN %(tables)s AND active
GROUP BY table
ORDER BY table
"""

# How often a watcher reads the version (it stops settings.STATS_VERSION_WATCH_IDLE_SECONDS
# after the last ask), and the longest wait between reads while they fail.
WATCH_INTERVAL_SECONDS = 0.2
WATCH_MAX_BACKOFF_SECONDS = 5.0


def data_version(client: Client, database: str) -> str:
    """The fingerprint of `database`'s fact tables, as a short hex string."""
    rows = client.execute(_PARTS_SQL, {"database": database, "tables": FACT_TABLES},
                          settings={"max_execution_time": 5})
    return hashlib.sha256(repr(rows).encode()).hexdigest()[:32]


def current_data_version(database: str) -> str:
    """`database`'s fingerprint read now, over a connection of its own."""
    client = clickhouse_client(database)
    try:
        return data_version(client, database)
    finally:
        client.disconnect()


@dataclass(frozen=True)
class Reading:
    """A data version and the time (epoch seconds) its read began: it holds every row of then."""

    version: str
    read_at: float


class _Watch(threading.Thread):
    """Reads one database's version every WATCH_INTERVAL_SECONDS until nobody asked for
    settings.STATS_VERSION_WATCH_IDLE_SECONDS; a failed read leaves no reading (callers then
    read, and see the error)."""

    def __init__(self, database: str) -> None:
        super().__init__(name=f"data-version-{database}", daemon=True)
        self.database = database
        self.asked_at = time.monotonic()
        self.reading: Reading | None = None
        self.failures = 0  # reads failed in a row: they back off, and only the first is logged

    def run(self) -> None:
        client = clickhouse_client(self.database)
        try:
            while True:
                idle_seconds = settings.STATS_VERSION_WATCH_IDLE_SECONDS
                with _watches_lock:
                    if time.monotonic() - self.asked_at > idle_seconds:
                        del _watches[self.database]
                        return
                began = time.time()
                try:
                    self.reading = Reading(data_version(client, self.database), began)
                    if self.failures:
                        logger.info("reading the data version of %s again", self.database)
                    self.failures = 0
                except (ClickHouseError, OSError, EOFError) as exc:
                    if not self.failures:
                        logger.warning("reading the data version of %s failed: %s",
                                       self.database, exc)
                    self.failures += 1
                    self.reading = None
                    client.disconnect()
                interval = min(WATCH_INTERVAL_SECONDS * 2 ** min(self.failures, 10),
                               WATCH_MAX_BACKOFF_SECONDS)
                time.sleep(max(0.0, began + interval - time.time()))
        finally:
            client.disconnect()


_watches: dict[str, _Watch] = {}
_watches_lock = threading.Lock()


def recent_data_version(database: str, *, max_age_seconds: float) -> Reading | None:
    """This process's latest reading of `database`'s version if it began at most
    `max_age_seconds` ago, else None (the caller reads the version itself).

    The first ask starts the watcher, so it returns None; so do asks while ClickHouse is down.
    A caller using the reading may miss rows written since `read_at` (at most about
    WATCH_INTERVAL_SECONDS plus a read): only for callers who accept figures that stale.
    """
    with _watches_lock:
        watch = _watches.get(database)
        if watch is None or not watch.is_alive():  # (a watcher that died of a bug is replaced)
            watch = _watches[database] = _Watch(database)
            watch.start()
        watch.asked_at = time.monotonic()
    reading = watch.reading
    if reading is None or time.time() - reading.read_at > max_age_seconds:
        return None
    return reading
