"""What the relay and the stream worker do, minus the broker, for tests of what lies downstream."""

from __future__ import annotations

import json

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
