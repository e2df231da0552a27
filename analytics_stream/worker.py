"""The stream worker's Faust app (`msc stream`): source topics into ClickHouse.

The consumer group is the app id behind this deployment's topic prefix, so a test run's worker
never joins (or steals partitions from) another run's or the platform's own.
"""

from __future__ import annotations

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "services.settings.dev")
django.setup()

from django.conf import settings  # noqa: E402 - needs the settings configured above

from analytics_stream.agents import install_agents  # noqa: E402
from analytics_stream.app import (  # noqa: E402
    create_app,
    install_bootstrap_retry,
    wait_for_broker,
)
from analytics_stream.sink import ClickHouseSink  # noqa: E402
from services.events.registry import load_app_events  # noqa: E402

load_app_events()
wait_for_broker(settings.KAFKA["BOOTSTRAP_SERVERS"])
install_bootstrap_retry()  # and if the broker goes down while Faust starts, wait for it again
app = create_app(f"{settings.KAFKA['TOPIC_PREFIX']}msc-stream")
install_agents(app, ClickHouseSink())
