"""The regional office's live dashboard in headless Chromium, through Keycloak's real login page:
it shows the figures, and follows new visits by itself within seconds. Saves a screenshot."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from intake.models import Centre
from services.tenancy.context import tenant_transaction
from tests.e2e.conftest import keycloak_login
from tests.integration.keycloak_helpers import as_user
from tests.pipeline_helpers import stream_outbox
from tests.waiting import wait_until

pytestmark = [pytest.mark.integration,
              pytest.mark.django_db(transaction=True, databases=["default", "relay"])]

SCREENSHOTS = Path(os.environ.get("MSC_TEST_ARTIFACTS", "/tmp/msc-test-artifacts"))  # noqa: S108
MARCH = "from=2009-03-01&to=2009-03-31"


def _visits(tenant: str, centre: str, first: int, count: int) -> None:
    """`count` new clients, one visit each."""
    items: list[dict[str, Any]] = []
    for n in range(first, first + count):
        items.append({"kind": "client", "key": f"{tenant}-dash-c{n}", "data": {
            "given_name": f"Dardan{n}", "family_name": "Berisha", "sex": "male",
            "birth_year": 1960 + n, "citizenship": tenant, "category": "returnee",
            "municipality_code": "M1", "urban": True, "education_level": "isced3",
            "employment_status": "unemployed", "migration_intention": "labour",
            "preferred_destinations": ["DE"], "confirm_new": True,
            "consent": {"given_at": "2026-11-01T08:00:00Z", "scope": "service"}}})
        items.append({"kind": "visit", "key": f"{tenant}-dash-v{n}", "data": {
            "client_key": f"{tenant}-dash-c{n}", "centre_id": centre, "channel": "in_person",
            "occurred_at": f"2009-03-{n % 28 + 1:02d}T09:00:00Z", "services": ["information"]}})
    answer = as_user(f"counsellor.{tenant.lower()}").post("/api/v1/sync", {"items": items},
                                                          format="json")
    assert answer.json()["summary"] == {"created": 2 * count}, answer.content


def _text_becomes(driver: Any, element_id: str, wanted: str, seconds: float) -> float:
    from selenium.webdriver.common.by import By

    def shown() -> str:
        return str(driver.find_element(By.ID, element_id).text)

    return wait_until(lambda: shown() == wanted, seconds=seconds,
                      failure=lambda: f"#{element_id} shows {shown()!r}, not {wanted!r}, "
                                      f"after {seconds}s")


def test_the_regional_dashboard_logs_in_through_keycloak_and_follows_new_visits(
    browser: Any, web_client_redirect: str, clickhouse_database: str,
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    with tenant_transaction("XK"):
        centre = str(Centre.objects.create(tenant_id="XK", name="Prishtina MSC",
                                           municipality_code="XK-01").id)
    _visits("XK", centre, 0, 12)
    stream_outbox(clickhouse_database, ("XK",))

    browser.get(f"{web_client_redirect}/dashboard/?{MARCH}")
    keycloak_login(browser, "regional.monitor")
    wait = WebDriverWait(browser, 60)
    wait.until(expected_conditions.url_contains("/dashboard/"))
    _text_becomes(browser, "visits", "12", 20)
    assert browser.find_element(By.ID, "clients").text == "12"
    assert browser.find_element(By.ID, "immigrants").text == "0"
    assert "regional.monitor" in browser.find_element(By.TAG_NAME, "header").text

    _visits("XK", centre, 12, 5)
    stream_outbox(clickhouse_database, ("XK",))
    took = _text_becomes(browser, "visits", "17", 6)
    print(f"\nthe dashboard showed the new visits {took:.1f}s after they reached ClickHouse")  # noqa: T201

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / "dashboard-regional.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    print(f"screenshot: {shot}")  # noqa: T201

    browser.get(f"{web_client_redirect}/logout")
    browser.get(f"{web_client_redirect}/dashboard/?{MARCH}")
    wait.until(expected_conditions.presence_of_element_located((By.ID, "username")))
