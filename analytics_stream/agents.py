"""The stream worker's agents: source topics -> pure processors -> ClickHouse, at least once.

Each agent takes a batch (`noack_take`), turns every message into rows, inserts them through the
sink (retrying until ClickHouse takes them), sends the messages nobody can decode to the
dead-letter topic with the reason, and only then acknowledges the batch. A crash anywhere before
the acknowledgement means Kafka delivers the batch again; the tables make that harmless.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import faust

from analytics_stream.processors import Rejected, Rows, process_message
from analytics_stream.sink import ClickHouseSink
from services.events.topics import (
    CLIENTS,
    DEADLETTER,
    GROUP_SESSIONS,
    REFERRALS,
    VISITS,
    topic_name,
)

log = logging.getLogger(__name__)

SOURCES = (CLIENTS, VISITS, GROUP_SESSIONS, REFERRALS)
DEADLETTER_TYPE = DEADLETTER.event_types[0]
BATCH_SIZE = 2000
BATCH_SECONDS = 0.5


def deadletter_headers(event: Any, reason: str) -> list[tuple[str, bytes]]:
    """Where the message came from and why it was rejected; the value itself goes on unchanged."""
    message = event.message
    return [("ce_type", DEADLETTER_TYPE.encode()),
            ("msc_source_topic", message.topic.encode()),
            ("msc_source_partition", str(message.partition).encode()),
            ("msc_source_offset", str(message.offset).encode()),
            ("msc_reason", reason.encode()[:4000])]


def install_agents(app: faust.App, sink: ClickHouseSink) -> None:
    """Attach the ClickHouse agent to `app` (topics under this deployment's prefix)."""
    sources = app.topic(*(topic_name(contract.name) for contract in SOURCES),
                        key_serializer="raw", value_serializer="raw")
    deadletter = app.topic(topic_name(DEADLETTER.name), key_serializer="raw",
                           value_serializer="raw")

    @app.agent(sources, name="to-clickhouse")
    async def to_clickhouse(stream: Any) -> AsyncIterator[int]:
        loop = asyncio.get_running_loop()
        async for events in stream.noack_take(BATCH_SIZE, within=BATCH_SECONDS):
            rows = Rows()
            rejected: list[tuple[Any, str]] = []
            for event in events:
                outcome = process_message(event.value)
                if isinstance(outcome, Rejected):
                    rejected.append((event, outcome.reason))
                else:
                    rows.extend(outcome)
            if rows:
                await loop.run_in_executor(sink.executor, sink.insert, rows)
            for event, reason in rejected:
                log.warning("dead-lettered %s[%s]@%s: %s", event.message.topic,
                            event.message.partition, event.message.offset, reason)
                sent = await deadletter.send(key=event.key, value=event.value,
                                             headers=deadletter_headers(event, reason))
                await sent  # on the broker before the source message is acknowledged
            for event in events:
                await stream.ack(event)
            yield len(events)

    def stop_sink(sender: Any, /, *_: Any, signal: Any, **__: Any) -> None:
        sink.stop()  # a retrying insert gives up, unacknowledged, so the worker can stop

    app.on_before_shutdown.connect(stop_sink)
