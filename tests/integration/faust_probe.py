"""A minimal Faust worker for the integration test: forwards each message to a second topic.

Run by the test as `python -m faust -A tests.integration.faust_probe worker`; the topic names
come from the environment (MSC_PROBE_SOURCE_TOPIC, MSC_PROBE_SINK_TOPIC, MSC_PROBE_APP_ID) so the
worker uses exactly the per-run names of the test that started it.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "services.settings.test")
django.setup()

from analytics_stream.app import create_app  # noqa: E402 - needs the settings configured above

app = create_app(os.environ["MSC_PROBE_APP_ID"])
source = app.topic(os.environ["MSC_PROBE_SOURCE_TOPIC"], key_serializer="raw",
                   value_serializer="raw")
sink = app.topic(os.environ["MSC_PROBE_SINK_TOPIC"], key_serializer="raw", value_serializer="raw")


@app.agent(source)
async def forward(stream: Any) -> AsyncIterator[None]:
    """Send each event on unchanged, key and value as bytes; acked once the send is done."""
    async for event in stream.events():
        await sink.send(key=event.key, value=event.value)
        yield None
