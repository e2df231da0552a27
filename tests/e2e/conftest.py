"""What the browser tests share: headless Debian Chromium, Keycloak allowed to send the browser
back to this run's server, and logging in on Keycloak's own login page."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from services.demo.loader import DEV_PASSWORD
from tests.conftest import require_component, unavailable
from tests.integration.keycloak_helpers import admin_request

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
LAPTOP = (1366, 900)


@pytest.fixture
def browser() -> Iterator[Any]:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        unavailable("Debian's chromium and chromium-driver are not installed (infra/test.sh does)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     f"--window-size={LAPTOP[0]},{LAPTOP[1]}", "--lang=en"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def web_client_redirect(live_server: Any) -> Iterator[str]:
    """Let Keycloak send the browser back to this run's server (on a port of its own)."""
    require_component("keycloak")
    [client] = admin_request("GET", "/clients?clientId=msc-web")
    allowed = f"{live_server.url}/*"
    attributes = client.get("attributes", {})
    after_logout = attributes.get("post.logout.redirect.uris", "")
    admin_request("PUT", f"/clients/{client['id']}", {
        **client, "redirectUris": [*client["redirectUris"], allowed],
        "attributes": {**attributes, "post.logout.redirect.uris": f"{after_logout}##{allowed}"}})
    try:
        yield str(live_server.url)
    finally:
        admin_request("PUT", f"/clients/{client['id']}", client)


def keycloak_login(driver: Any, username: str) -> None:
    """Fill in Keycloak's own login page, which the browser is on."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, 60)
    wait.until(expected_conditions.presence_of_element_located((By.ID, "username")))
    assert "/realms/msc/" in driver.current_url  # noqa: S101 - Keycloak's page, not ours
    driver.find_element(By.ID, "username").send_keys(username)
    if not driver.find_elements(By.ID, "password"):
        # With organizations on, Keycloak asks for the username first, then the password.
        driver.find_element(By.ID, "kc-login").click()
        wait.until(expected_conditions.presence_of_element_located((By.ID, "password")))
    driver.find_element(By.ID, "password").send_keys(DEV_PASSWORD)
    driver.find_element(By.ID, "kc-login").click()
