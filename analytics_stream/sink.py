"""Inserting processed rows into ClickHouse: retried with backoff, never dropped.

clickhouse-driver is synchronous and its client is not thread-safe: the sink owns one client and
runs on one executor thread of its own, and the agent awaits it. An insert that fails is retried
(the same rows again: ReplacingMergeTree makes a repeated insert harmless) until it succeeds or the
worker stops; in that case the batch is left unacknowledged and Kafka delivers it again.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from clickhouse_driver import Client
from clickhouse_driver.errors import Error as ClickHouseError

from analytics_stream.clickhouse.client import clickhouse_client
from analytics_stream.clickhouse.sql import insert_sql
from analytics_stream.clickhouse.sql.referrals import REFERRAL_FACT_COLUMNS, REFERRAL_FACTS_TABLE
from analytics_stream.clickhouse.sql.sessions import (
    GROUP_SESSION_FACT_COLUMNS,
    GROUP_SESSION_FACTS_TABLE,
)
from analytics_stream.clickhouse.sql.visits import VISIT_FACT_COLUMNS, VISIT_FACTS_TABLE
from analytics_stream.processors import Rows

log = logging.getLogger(__name__)

COLUMNS = {VISIT_FACTS_TABLE: VISIT_FACT_COLUMNS,
           GROUP_SESSION_FACTS_TABLE: GROUP_SESSION_FACT_COLUMNS,
           REFERRAL_FACTS_TABLE: REFERRAL_FACT_COLUMNS}


class SinkStopped(RuntimeError):
    """The worker is stopping; the batch was not (fully) written and must not be acknowledged."""


class ClickHouseSink:
    def __init__(self, database: str | None = None, *, table_suffix: str = "",
                 max_backoff_seconds: float = 30.0) -> None:
        """`table_suffix` aims the sink at other tables of the same layout (`msc replay`)."""
        self._database = database
        self.table_suffix = table_suffix
        self._client: Client | None = None
        self._stopping = threading.Event()
        self.max_backoff_seconds = max_backoff_seconds
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="clickhouse-sink")
        self.rows_written = 0

    def _connection(self) -> Client:
        if self._client is None:
            self._client = clickhouse_client(self._database)
        return self._client

    def stop(self) -> None:
        self._stopping.set()

    def insert(self, rows: Rows) -> None:
        """Write every table's rows; blocks (retrying) until ClickHouse has taken them all."""
        for table, table_rows in rows.by_table.items():
            self._insert_with_retry(table, table_rows)
            self.rows_written += len(table_rows)

    def _insert_with_retry(self, table: str, table_rows: list[tuple[object, ...]]) -> None:
        attempt = 0
        while True:
            client = self._connection()
            try:
                client.execute(insert_sql(client.connection.database,
                                          f"{table}{self.table_suffix}", COLUMNS[table]),
                               table_rows)
                if attempt:
                    log.info("clickhouse insert into %s succeeded after %d retries", table,
                             attempt)
                return
            except (ClickHouseError, OSError, EOFError) as exc:
                attempt += 1
                delay = min(self.max_backoff_seconds, 0.2 * 2 ** min(attempt, 10))
                log.warning("clickhouse insert of %d rows into %s failed (attempt %d): %s; "
                            "retrying in %.1fs", len(table_rows), table, attempt, exc, delay)
                self._client = None  # reconnect: the server may have restarted
                client.disconnect()
                if self._stopping.wait(delay):
                    raise SinkStopped(f"stopped before {table} took the batch") from exc
