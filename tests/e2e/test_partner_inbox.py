"""A partner answers a referral with the keyboard alone, in headless Chromium, after logging in
on Keycloak's real login page; the page also fits a tablet. Saves screenshots of both."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from referrals.models import Referral
from services.tenancy.context import tenant_transaction
from tests.e2e.conftest import LAPTOP, keycloak_login
from tests.referral_world import make_world, refer

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(os.environ.get("MSC_TEST_ARTIFACTS", "/tmp/msc-test-artifacts"))  # noqa: S108
TABLET = (820, 1180)
MOST_TABS = 40


def _tab_to(driver: Any, matches: str) -> Any:
    """Press Tab until the focused element satisfies the JavaScript test `matches(el)`."""
    from selenium.webdriver.common.keys import Keys

    for _ in range(MOST_TABS):
        driver.switch_to.active_element.send_keys(Keys.TAB)
        if driver.execute_script(f"return ({matches})(document.activeElement);"):
            return driver.switch_to.active_element
    raise AssertionError(f"{MOST_TABS} presses of Tab never reached {matches}")


def _screenshot(driver: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / name
    assert driver.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    print(f"\nscreenshot: {shot}")  # noqa: T201
    return shot


def test_a_partner_accepts_a_referral_with_the_keyboard(browser: Any,
                                                        web_client_redirect: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    referral = refer(make_world("AL"))
    wait = WebDriverWait(browser, 30)
    browser.get(f"{web_client_redirect}/app/partner/referrals")
    keycloak_login(browser, "partner.al")
    wait.until(expected_conditions.url_contains("/app/partner/referrals"))
    assert "partner.al" in browser.find_element(By.TAG_NAME, "header").text

    # The first Tab reaches the skip link, which is then visible.
    skip = _tab_to(browser, "el => el.classList.contains('skip-link')")
    assert skip.text == "Skip to main content" and skip.rect["y"] >= 0
    link = _tab_to(browser, f"el => (el.getAttribute('href') || '').endsWith('{referral['id']}')")
    assert link.text == "Arta Hoxha"
    assert browser.execute_script(
        "return getComputedStyle(document.activeElement).outlineStyle") == "solid"
    link.send_keys(Keys.ENTER)
    wait.until(expected_conditions.url_contains(referral["id"]))
    assert "+355 69 000 0001" in browser.find_element(By.TAG_NAME, "main").text

    accept = _tab_to(browser, "el => el.tagName === 'BUTTON' && el.textContent.trim() === "
                              "'Accept'")
    accept.send_keys(Keys.ENTER)
    wait.until(expected_conditions.url_contains("?saved=1"))
    notice = browser.find_element(By.CSS_SELECTOR, ".notice.ok").text
    assert notice == "Saved. The referral is now “Accepted”."
    with tenant_transaction("AL"):
        assert Referral.objects.get(id=referral["id"]).state == "accepted"
    _screenshot(browser, "partner-referral-laptop.png")

    browser.set_window_size(*TABLET)
    browser.refresh()
    wait.until(expected_conditions.presence_of_element_located((By.ID, "steps-heading")))
    overflow = browser.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than a tablet"
    _screenshot(browser, "partner-referral-tablet.png")
    browser.set_window_size(*LAPTOP)
