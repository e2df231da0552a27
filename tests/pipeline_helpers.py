"""What the relay and the stream worker do, minus the broker, for tests of what lies downstream."""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime

from analytics_stream.clickhouse.client import clickhouse_client
from analytics_stream.clickhouse.sql import insert_sql
from analytics_stream.clickhouse.sql.sessions import (
    GROUP_SESSION_FACT_COLUMNS,
    GROUP_SESSION_FACTS_TABLE,
)
from analytics_stream.processors import Rows, process_message
from analytics_stream.sink import ClickHouseSink
from services.outbox.models import OutboxEvent
from services.tenancy.context import tenant_transaction


def stream_outbox(database: str, tenants: tuple[str, ...]) -> int:
    """Every outbox event of `tenants` through the stream processors into ClickHouse; how many."""
    rows = Rows()
    events = 0
    for tenant in tenants:
        with tenant_transaction(tenant):
            for event in OutboxEvent.objects.order_by("sequence"):
                processed = process_message(json.dumps(event.envelope).encode())
                assert isinstance(processed, Rows), processed
                rows.extend(processed)
                events += 1
    ClickHouseSink(database).insert(rows)
    return events


def insert_held_session(database: str, day: date) -> None:
    """A group session held on `day`, written straight into ClickHouse: new data (a new part, so
    a new data version), and the figures are counted again."""
    row = ("AL", f"session-{time.time_ns()}", 1, f"event-{time.time_ns()}", day,
           datetime(day.year, day.month, day.day, 10, tzinfo=UTC), "centre", "Centre", "cv",
           "", 12)
    clickhouse_client(database).execute(
        insert_sql(database, GROUP_SESSION_FACTS_TABLE, GROUP_SESSION_FACT_COLUMNS), [row])
