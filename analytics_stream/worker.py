"""The stream worker's Faust app (`msc stream`). Agents register on `app` when their modules are
imported below; the statistics processors of the analytics issue add theirs here."""

from __future__ import annotations

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "services.settings.dev")
django.setup()

from analytics_stream.app import create_app  # noqa: E402 - needs the settings configured above

app = create_app("msc-stream")
