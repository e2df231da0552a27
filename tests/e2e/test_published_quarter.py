"""The proof: the June-August 2008 quarter, loaded through the public API, travels the whole
pipeline (outbox, relay, Kafka, stream worker, ClickHouse) and comes out of the statistics API and
`msc report` as the figures the programme published.

Every component is the real one: the relay and the stream worker run as processes, on this run's
database, topics and ClickHouse database.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from analytics_stream.figures import Share, compare_with_reference, percent_matches
from analytics_stream.reconcile import reconcile
from analytics_stream.statistics import Scope, figures_of, summary_of
from services.demo.calibrated import all_visit_records, calibrated_plan
from services.demo.loader import InProcessTransport, KeycloakTokens, load_plan
from services.outbox.models import OutboxEvent
from services.tenancy.context import tenant_transaction
from services.tenancy.models import TENANT_CODES
from tests.conftest import require_component
from tests.integration.keycloak_helpers import as_user
from tests.kafka_helpers import REPO, relay_process, run_topics, stop_process, stream_process
from tests.waiting import wait_until

pytestmark = [pytest.mark.integration,
              pytest.mark.django_db(transaction=True, databases=["default", "relay"])]

START, END = date(2008, 6, 1), date(2008, 8, 31)
TENANTS = tuple(sorted(TENANT_CODES))
PIPELINE_SECONDS = 240.0


def _matches(part: int, whole: int, published: float) -> bool:
    """As the published report rounded (half up, or truncated: see analytics_stream.figures)."""
    return percent_matches(Share(part, whole), published)


def test_the_published_quarter_comes_out_of_the_api_and_the_report(
    reference: dict[str, Any], clickhouse_database: str, tmp_path: Path,
) -> None:
    for component in ("postgres", "kafka", "clickhouse", "keycloak"):
        require_component(component)
    plan = calibrated_plan(reference, seed=2008)
    with run_topics():
        relay = relay_process(tmp_path / "relay.log")
        worker = stream_process(tmp_path / "stream.log")
        try:
            load_plan(plan, InProcessTransport(KeycloakTokens()), out=lambda _: None)
            compared, differences = reconcile(tenants=TENANTS, start=START, end=END,
                                              database=clickhouse_database,
                                              wait_seconds=PIPELINE_SECONDS)
            assert differences == [], (
                differences[:10], (tmp_path / "stream.log").read_text()[-3000:])
            assert relay.poll() is None and worker.poll() is None
            _wait_for_sessions(clickhouse_database)
        finally:
            stop_process(relay)
            stop_process(worker)
            for tenant in TENANTS:
                with tenant_transaction(tenant):
                    OutboxEvent.objects.all().delete()
    assert compared > 0

    scope = Scope(tenants=TENANTS, start=START, end=END, controlled=True)
    figures = figures_of(scope, database=clickhouse_database)
    assert compare_with_reference(figures, reference) == []
    assert figures.visits_total == len(all_visit_records(plan))

    api = as_user("regional.monitor").get(
        f"/api/v1/stats/summary?from={START}&to={END}")
    assert api.status_code == 200, api.content
    published = api.json()
    assert published == json.loads(json.dumps(summary_of(scope, database=clickhouse_database)))
    # The published file's figures, read straight off the API's answer.
    assert (published["clients"], published["visits"]) == (
        reference["clients_total"], reference["visits_total"])
    assert (published["immigrant_clients"], published["national_clients"]) == (
        reference["immigrant_clients"], reference["national_clients"])
    assert published["visitors_ranking"][:3] == reference["visitors_rank_top3"]
    assert published["centres_with_visits"] == reference["centres_in_region"]
    nationals = published["nationals"]
    assert _matches(nationals["male"], nationals["clients"], reference["nationals"]["male_pct"])
    assert _matches(nationals["unemployed"], nationals["clients"],
                    reference["nationals"]["unemployed_pct"])
    assert nationals["previous_destinations_top3"] == (
        reference["nationals"]["previous_destinations_top3"])
    assert nationals["preferred_destinations_top5"] == (
        reference["nationals"]["preferred_destinations_top5"])
    services = published["services"]
    given = sum(services.values())
    assert set(services) == set(reference["service_mix_pct"])
    for service, published_pct in reference["service_mix_pct"].items():
        assert _matches(services[service], given, published_pct), service
    immigrants = published["immigrants"]
    assert immigrants["tenants_with_most_top3"] == (
        reference["immigrants"]["tenants_with_most_top3"])
    assert set(reference["immigrants"]["tenants_with_none"]) <= set(
        immigrants["tenants_with_none"])

    report = subprocess.run(
        [sys.executable, "-m", "services.cli", "report", "--from", str(START), "--to", str(END),
         "--format", "json"],
        cwd=REPO, env={**os.environ, "DJANGO_SETTINGS_MODULE": "services.settings.test"},
        capture_output=True, check=False)
    assert report.returncode == 0, report.stderr.decode()
    assert json.loads(report.stdout) == published
    text = subprocess.run(
        [sys.executable, "-m", "services.cli", "report", "--from", str(START), "--to", str(END)],
        cwd=REPO, env={**os.environ, "DJANGO_SETTINGS_MODULE": "services.settings.test"},
        capture_output=True, check=True).stdout.decode()
    assert "served 1,003 clients in 1,012 visits" in text


def _wait_for_sessions(database: str) -> None:
    from analytics_stream.clickhouse.client import clickhouse_client

    wait_until(lambda: clickhouse_client(database).execute(
                   "SELECT count() FROM group_session_facts FINAL") == [(4,)],
               seconds=PIPELINE_SECONDS, interval=0.5,
               failure=lambda: "the group sessions did not reach ClickHouse")
