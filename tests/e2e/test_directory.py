"""The directory's pages fit a tablet: in headless Chromium, after logging in on Keycloak's real
login page, a tenant administrator's and the regional office's directory pages (the list, a
service to change, a shared service to read, the import) are no wider than the screen at 768 and
1024 px, upright and turned, in English and in Albanian. Saves a screenshot of each list."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from tests.e2e.conftest import keycloak_login
from tests.referral_world import make_shared_directory, make_world

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(os.environ.get("MSC_TEST_ARTIFACTS", "/tmp/msc-test-artifacts"))  # noqa: S108
# A tablet held upright and turned: the widths the pages must fit without scrolling sideways.
TABLET_SIZES = ((768, 1024), (1024, 768))


def _show_at(driver: Any, width: int, height: int) -> None:
    """Make the page's viewport exactly `width` CSS pixels wide, as on the tablet."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})


def _overflows(driver: Any) -> dict[str, int]:
    """How far the page, and each table's scroll box, reach beyond the screen (0: they fit)."""
    result: dict[str, int] = driver.execute_script("""
        const page = document.documentElement;
        const tables = [...document.querySelectorAll('.table-wrap')];
        return {
            viewport: window.innerWidth,
            page: page.scrollWidth - page.clientWidth,
            tables: Math.max(0, ...tables.map(t => t.scrollWidth - t.clientWidth)),
        };""")
    return result


def _check_pages(driver: Any, base: str, pages: dict[str, str], role: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, 30)
    wide = []
    for language in ("en", "sq"):
        driver.add_cookie({"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "path": "/"})
        for width, height in TABLET_SIZES:
            _show_at(driver, width, height)
            for name, path in pages.items():
                driver.get(f"{base}{path}")
                wait.until(expected_conditions.presence_of_element_located((By.TAG_NAME, "h1")))
                assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == language
                measured = _overflows(driver)
                assert measured["viewport"] == width, measured
                if measured["page"] > 0 or measured["tables"] > 0:
                    wide.append(f"{name} ({language}, {width}px): {measured}")
                if name == "list" and language == "en":
                    _screenshot(driver, f"directory-{role}-{width}.png")
    assert not wide, "wider than a tablet:\n" + "\n".join(wide)


def _screenshot(driver: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / name
    assert driver.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    print(f"\nscreenshot: {shot}")  # noqa: T201
    return shot


def _log_in(driver: Any, base: str, username: str) -> None:
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(f"{base}/app/admin/directory")
    keycloak_login(driver, username)
    WebDriverWait(driver, 60).until(expected_conditions.url_contains("/app/admin/directory"))


def test_a_tenant_administrators_directory_fits_a_tablet(browser: Any,
                                                         web_client_redirect: str) -> None:
    world = make_world("AL")
    shared = make_shared_directory()
    _log_in(browser, web_client_redirect, "admin.al")
    _check_pages(browser, web_client_redirect, {
        "list": "/app/admin/directory",
        "own service": f"/app/admin/directory/services/{world.services['youth']}",
        "shared service": f"/app/admin/directory/services/{shared['german']}",
        "import": "/app/admin/directory/import",
    }, "admin")


def test_the_regional_directory_fits_a_tablet(browser: Any, web_client_redirect: str) -> None:
    shared = make_shared_directory()
    _log_in(browser, web_client_redirect, "regional.monitor")
    _check_pages(browser, web_client_redirect, {
        "list": "/app/admin/directory",
        "shared service": f"/app/admin/directory/services/{shared['welding']}",
        "import": "/app/admin/directory/import",
    }, "regional")
