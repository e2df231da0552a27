"""Pipeline metrics in Prometheus' text format: outbox backlog, consumer lag, freshness.

`GET /metrics` serves them; `msc stack status` prints the same figures. Only operational numbers,
region-wide: no tenant's activity and nothing about anyone. A source that does not answer is
reported as `msc_metrics_source_up{source=...} 0` rather than failing the whole page.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse

STREAM_GROUP_SUFFIX = "msc-stream"


@dataclass
class Pipeline:
    """What the metrics say; a figure is None when its source did not answer."""

    outbox_backlog: int | None = None
    outbox_oldest_age_seconds: float | None = None
    consumer_lag: dict[tuple[str, int], int] | None = None
    last_ingest_age_seconds: float | None = None
    sources_up: dict[str, bool] = field(default_factory=dict)

    @property
    def consumer_lag_total(self) -> int | None:
        return None if self.consumer_lag is None else sum(self.consumer_lag.values())


def _outbox(pipeline: Pipeline) -> None:
    from services.outbox.relay import outbox_backlog

    backlog = outbox_backlog()
    pipeline.outbox_backlog = backlog.size
    pipeline.outbox_oldest_age_seconds = (
        backlog.oldest_age.total_seconds() if backlog.oldest_age is not None else 0.0)


def _consumer_lag(pipeline: Pipeline) -> None:
    from kafka import KafkaAdminClient, KafkaConsumer

    bootstrap = settings.KAFKA["BOOTSTRAP_SERVERS"]
    group = f"{settings.KAFKA['TOPIC_PREFIX']}{STREAM_GROUP_SUFFIX}"
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000)
    try:
        committed = admin.list_group_offsets({group: None}).get(group, {})
    finally:
        admin.close()
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, request_timeout_ms=3000)
    try:
        ends = consumer.end_offsets(list(committed)) if committed else {}
    finally:
        consumer.close()
    pipeline.consumer_lag = {
        (tp.topic, tp.partition): max(0, ends[tp] - meta.offset)
        for tp, meta in committed.items() if tp in ends and meta.offset >= 0}


def _freshness(pipeline: Pipeline) -> None:
    from analytics_stream.clickhouse.client import clickhouse_client
    from analytics_stream.clickhouse.sql.visits import VISIT_FACTS_TABLE

    [(age, rows)] = clickhouse_client().execute(
        f"SELECT now() - max(ingested_at), count() FROM {VISIT_FACTS_TABLE}")  # noqa: S608
    pipeline.last_ingest_age_seconds = float(age) if rows else None


SOURCES: dict[str, Callable[[Pipeline], None]] = {
    "outbox": _outbox, "kafka": _consumer_lag, "clickhouse": _freshness}


def collect() -> Pipeline:
    pipeline = Pipeline()
    for name, source in SOURCES.items():
        try:
            source(pipeline)
            pipeline.sources_up[name] = True
        except Exception:  # noqa: BLE001 - any failure means "this source did not answer"
            pipeline.sources_up[name] = False
    return pipeline


def prometheus_text(pipeline: Pipeline) -> str:
    lines: list[str] = []

    def metric(name: str, help_text: str, samples: list[tuple[str, float]]) -> None:
        lines.extend([f"# HELP {name} {help_text}", f"# TYPE {name} gauge"])
        lines.extend(f"{name}{labels} {value:g}" for labels, value in samples)

    metric("msc_metrics_source_up", "1 when the source answered the last scrape",
           [(f'{{source="{s}"}}', float(up)) for s, up in sorted(pipeline.sources_up.items())])
    if pipeline.outbox_backlog is not None:
        metric("msc_outbox_backlog_events", "events written but not yet published to Kafka",
               [("", pipeline.outbox_backlog)])
        metric("msc_outbox_oldest_age_seconds", "age of the oldest unpublished event",
               [("", pipeline.outbox_oldest_age_seconds or 0.0)])
    if pipeline.consumer_lag is not None:
        metric("msc_stream_consumer_lag", "events the stream worker has yet to process",
               [(f'{{topic="{t}",partition="{p}"}}', lag)
                for (t, p), lag in sorted(pipeline.consumer_lag.items())])
    if pipeline.last_ingest_age_seconds is not None:
        metric("msc_clickhouse_last_ingest_age_seconds",
               "seconds since the newest visit fact reached ClickHouse",
               [("", pipeline.last_ingest_age_seconds)])
    return "\n".join(lines) + "\n"


def describe(pipeline: Pipeline) -> str:
    """One line for `msc stack status`."""
    def show(value: float | None, unit: str = "") -> str:
        return "unknown" if value is None else f"{value:g}{unit}"

    return (f"pipeline    outbox backlog {show(pipeline.outbox_backlog)} "
            f"(oldest {show(pipeline.outbox_oldest_age_seconds, 's')}), "
            f"stream lag {show(pipeline.consumer_lag_total)}, "
            f"last ClickHouse ingest {show(pipeline.last_ingest_age_seconds, 's')} ago")


@transaction.non_atomic_requests
def metrics_view(request: HttpRequest) -> HttpResponse:
    started = time.monotonic()
    text = prometheus_text(collect())
    text += (f"# HELP msc_metrics_scrape_seconds time to collect these metrics\n"
             f"# TYPE msc_metrics_scrape_seconds gauge\n"
             f"msc_metrics_scrape_seconds {time.monotonic() - started:.3f}\n")
    return HttpResponse(text, content_type="text/plain; version=0.0.4; charset=utf-8")
