"""`/metrics`: the pipeline's figures in Prometheus' text format, without any tenant's data."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.conftest import require_component

pytestmark = [pytest.mark.integration, pytest.mark.django_db(databases=["default", "relay"])]

SAMPLE = re.compile(r'^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? -?[0-9.e+-]+$')


def test_metrics_are_prometheus_text(clickhouse_database: str) -> None:
    require_component("kafka")
    response = Client().get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    text = response.content.decode()
    samples = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert samples and all(SAMPLE.match(line) for line in samples), text
    assert 'msc_metrics_source_up{source="outbox"} 1' in samples
    assert 'msc_metrics_source_up{source="clickhouse"} 1' in samples
    assert any(line.startswith("msc_outbox_backlog_events ") for line in samples)
    assert "tenant" not in text
