"""A counsellor registers a client with the keyboard alone, in headless Chromium after logging
in on Keycloak's login page: consent first, then the details, then a visit on the new client's
page. The form also fits a tablet. Saves screenshots."""

from __future__ import annotations

from typing import Any

import pytest

from intake.models import Client, Visit
from intake.services import centre_create
from services.auth.tokens import Principal, Role
from services.tenancy.context import tenant_transaction
from tests.e2e.conftest import LAPTOP, keycloak_login
from tests.e2e.test_partner_inbox import TABLET, _screenshot, _tab_to

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _named(name: str, value: str = "") -> str:
    """A JavaScript test for the form control called `name` (and of `value`, if given)."""
    test = f"el.name === '{name}'"
    return f"el => {test} && el.value === '{value}'" if value else f"el => {test}"


def _type_into(driver: Any, name: str, text: str) -> None:
    _tab_to(driver, _named(name)).send_keys(text)


def _choose(driver: Any, name: str, value: str) -> None:
    """Pick a radio button as the keyboard does: Tab into the group, arrows to the option."""
    from selenium.webdriver.common.keys import Keys

    option = _tab_to(driver, _named(name))
    for _ in range(10):
        if option.get_attribute("value") == value:
            if not option.is_selected():
                option.send_keys(Keys.SPACE)
            return
        option.send_keys(Keys.ARROW_DOWN)
        option = driver.switch_to.active_element
    raise AssertionError(f"no option {value} of {name}")


def test_a_client_is_registered_and_visited_with_the_keyboard(browser: Any,
                                                              web_client_redirect: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    manager = Principal(subject="e2e", username="manager.al", tenant="AL",
                        roles=frozenset({Role.CENTRE_MANAGER}))
    with tenant_transaction("AL"):
        centre_create(actor=manager, name="Tirana MSC", municipality_code="AL-11", kind="msc")
    wait = WebDriverWait(browser, 30)
    browser.get(f"{web_client_redirect}/app/clients")
    keycloak_login(browser, "counsellor.al")
    wait.until(expected_conditions.url_contains("/app/clients"))

    _tab_to(browser, "el => el.textContent.trim() === 'New client'").send_keys(Keys.ENTER)
    wait.until(expected_conditions.presence_of_element_located((By.ID, "consent-heading")))
    assert not browser.find_elements(By.NAME, "given_name")  # consent comes first
    _choose(browser, "scope", "service_referral")
    _tab_to(browser, _named("agreed")).send_keys(Keys.SPACE)
    _tab_to(browser, "el => el.tagName === 'BUTTON' && el.textContent.trim() === 'Continue'"
            ).send_keys(Keys.ENTER)
    wait.until(expected_conditions.presence_of_element_located((By.NAME, "given_name")))

    # A missing field is named beside itself, and the keyboard is taken to the list of them.
    _type_into(browser, "given_name", "Besnik")
    _tab_to(browser, "el => el.tagName === 'BUTTON' && el.textContent.trim() === 'Register'"
            ).send_keys(Keys.ENTER)
    wait.until(expected_conditions.presence_of_element_located(
        (By.CSS_SELECTOR, ".error-summary")))
    assert browser.execute_script(
        "return document.activeElement.classList.contains('error-summary')")
    assert browser.find_element(By.ID, "id_family_name-error").text == "Fill in this field."
    assert browser.find_element(By.NAME, "given_name").get_attribute("value") == "Besnik"

    _type_into(browser, "family_name", "Krasniqi")
    _choose(browser, "sex", "male")
    _type_into(browser, "birth_year", "1992")
    _type_into(browser, "citizenship", "AL")
    _choose(browser, "category", "returnee")
    _type_into(browser, "municipality_code", "AL-11")
    _choose(browser, "urban", "true")
    _type_into(browser, "education_level", "Upper")
    _type_into(browser, "employment_status", "Unemployed")
    _type_into(browser, "migration_intention", "Labour")
    _type_into(browser, "preferred_destinations", "DE, IT")
    _type_into(browser, "phone", "+355 69 111 2222")
    _screenshot(browser, "client-registration-laptop.png")
    _tab_to(browser, "el => el.tagName === 'BUTTON' && el.textContent.trim() === 'Register'"
            ).send_keys(Keys.ENTER)
    wait.until(expected_conditions.url_contains("?registered=1"))
    assert "The client is registered." in browser.find_element(By.TAG_NAME, "main").text
    with tenant_transaction("AL"):
        client = Client.objects.get(family_name="Krasniqi")
    assert (client.category, client.urban, client.education_level, client.migration_intention,
            client.consent_scope, client.preferred_destinations) == (
        "returnee", True, "isced3", "labour", "service_referral", ["DE", "IT"])

    # The visit: the centre and the time are filled in; a tick and Enter record it.
    _tab_to(browser, _named("services", "counselling")).send_keys(Keys.SPACE)
    _tab_to(browser, "el => el.tagName === 'BUTTON' && el.textContent.trim() === "
                     "'Record the visit'").send_keys(Keys.ENTER)
    wait.until(expected_conditions.url_contains("?visit=1"))
    assert "The visit is recorded." in browser.find_element(By.TAG_NAME, "main").text
    with tenant_transaction("AL"):
        visit = Visit.objects.select_related("centre").get(client=client)
    assert (visit.centre.name, visit.services, visit.channel) == (
        "Tirana MSC", ["counselling"], "in_person")

    browser.set_window_size(*TABLET)
    browser.get(f"{web_client_redirect}/app/clients/{client.id}/edit")
    wait.until(expected_conditions.presence_of_element_located((By.NAME, "given_name")))
    overflow = browser.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than a tablet"
    _screenshot(browser, "client-edit-tablet.png")
    browser.set_window_size(*LAPTOP)
