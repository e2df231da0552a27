"""The issue's journeys end to end, in headless Chromium after logging in on Keycloak's real
login page: a counsellor registers a client past a duplicate warning, records a visit and refers
the client, while a partner in another browser accepts and completes the referral; a centre
manager records a group session; the counsellor's pages in Serbian (Cyrillic) and Albanian; and
another tenant's client page, typed by hand, is not found. Saves screenshots at the key steps."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest

from intake.models import Client, GroupSession
from intake.services import centre_create, visit_record
from referrals.models import Referral
from services.auth.tokens import Principal, Role
from services.tenancy.context import tenant_transaction
from tests.e2e.conftest import CHROMEDRIVER, CHROMIUM, LAPTOP, keycloak_login
from tests.e2e.test_partner_inbox import _screenshot
from tests.referral_world import LANGUAGE_COURSE, make_world, register_client

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# The machine may be busy: every wait is generous, none is a measurement.
WAIT_SECONDS = 90


def _principal(username: str, role: str) -> Principal:
    return Principal(subject=f"e2e-{username}", username=username, tenant="AL",
                     roles=frozenset({role}))


def _centre(name: str = "Tirana MSC") -> UUID:
    with tenant_transaction("AL"):
        centre = centre_create(actor=_principal("manager.al", Role.CENTRE_MANAGER), name=name,
                               municipality_code="AL-11", kind="msc")
    return UUID(str(centre.id))


@pytest.fixture
def second_browser(browser: Any) -> Iterator[Any]:
    """Another Chromium beside `browser` (cookies of its own): a second person at work."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     f"--window-size={LAPTOP[0]},{LAPTOP[1]}", "--lang=en"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(WAIT_SECONDS)
    try:
        yield driver
    finally:
        driver.quit()


def _wait(driver: Any) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT_SECONDS)


def _until_url(driver: Any, part: str) -> None:
    from selenium.webdriver.support import expected_conditions

    _wait(driver).until(expected_conditions.url_contains(part))


def _until_present(driver: Any, css: str) -> Any:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions

    return _wait(driver).until(expected_conditions.presence_of_element_located(
        (By.CSS_SELECTOR, css)))


def _login(driver: Any, base: str, path: str, username: str) -> None:
    driver.set_page_load_timeout(WAIT_SECONDS)
    driver.get(f"{base}{path}")
    keycloak_login(driver, username)
    _until_url(driver, path)
    _until_present(driver, "header .who")
    assert username in driver.find_element("css selector", "header .who").text


def _text(driver: Any, css: str) -> str:
    return str(driver.find_element("css selector", css).text)


def _type(driver: Any, name: str, text: str) -> None:
    field = driver.find_element("css selector", f"[name='{name}']")
    field.clear()
    field.send_keys(text)


def _set(driver: Any, css: str, value: str) -> None:
    """Set a control's value as a picker would (date inputs read keys in the browser's locale)."""
    driver.execute_script(
        "arguments[0].value = arguments[1];"
        "arguments[0].dispatchEvent(new Event('change', {bubbles: true}));",
        driver.find_element("css selector", css), value)


def _click(driver: Any, css: str) -> None:
    element = driver.find_element("css selector", css)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
    driver.execute_script("arguments[0].click();", element)


def _tick(driver: Any, name: str, value: str = "") -> None:
    css = f"input[name='{name}']" + (f"[value='{value}']" if value else "")
    box = driver.find_element("css selector", css)
    if not box.is_selected():
        driver.execute_script("arguments[0].click();", box)
    assert box.is_selected()


def _button(driver: Any, label: str, within: str = "main") -> None:
    """Press the submit button showing `label` (and wait for the next page to start)."""
    from selenium.webdriver.support import expected_conditions

    buttons = [b for b in driver.find_elements("css selector", f"{within} button")
               if b.text.strip() == label]
    assert buttons, f"no button {label!r}"
    html = driver.find_element("tag name", "html")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", buttons[0])
    driver.execute_script("arguments[0].click();", buttons[0])
    _wait(driver).until(expected_conditions.staleness_of(html))


def _state_shown(driver: Any) -> str:
    return _text(driver, "main .facts .state")


def test_a_client_is_registered_visited_referred_and_the_partner_answers(
        browser: Any, second_browser: Any, web_client_redirect: str) -> None:
    base = web_client_redirect
    world = make_world("AL")  # the directory, and Arta Hoxha born 2 March 1985
    _centre()

    _login(browser, base, "/app/clients/new", "counsellor.al")
    _until_present(browser, "#consent-heading")
    _tick(browser, "scope", "service_referral")
    _tick(browser, "agreed")
    _button(browser, "Continue")
    _until_present(browser, "[name='given_name']")

    # Someone of the same birth date with a name spelt a little differently.
    _type(browser, "given_name", "Arta")
    _type(browser, "family_name", "Hoxa")
    _tick(browser, "sex", "female")
    _type(browser, "birth_year", "1985")
    _set(browser, "[name='birth_date']", "1985-03-02")
    _type(browser, "citizenship", "AL")
    _tick(browser, "category", "national")
    _type(browser, "municipality_code", "AL-11")
    _tick(browser, "urban", "true")
    _set(browser, "select[name='education_level']", "isced3")
    _set(browser, "select[name='employment_status']", "unemployed")
    _set(browser, "select[name='migration_intention']", "labour")
    _type(browser, "phone", "+355 69 333 4444")
    _button(browser, "Register")
    warning = _until_present(browser, "#duplicates")
    assert "This client may be registered already" in warning.text
    assert "Hoxha, Arta" in warning.text
    _screenshot(browser, "journey-1-duplicate-warning.png")
    _button(browser, "This is a new person: register")
    _until_url(browser, "?registered=1")
    assert "The client is registered." in _text(browser, "main")
    with tenant_transaction("AL"):
        client = Client.objects.get(family_name="Hoxa")
        assert Client.objects.filter(birth_date="1985-03-02").count() == 2

    _tick(browser, "services", "counselling")
    _button(browser, "Record the visit")
    _until_url(browser, "?visit=1")
    assert "The visit is recorded." in _text(browser, "main")
    _screenshot(browser, "journey-1-visit-recorded.png")

    browser.get(f"{base}/app/clients/{client.id}/refer")
    _until_present(browser, "#need-heading")
    _set(browser, "select[name='need']", str(LANGUAGE_COURSE))
    _button(browser, "Show suggestions")
    _until_present(browser, "#choose-heading")
    first = browser.find_element("css selector", "#service-1")
    assert first.is_selected()  # the best suggestion is chosen already
    assert "English B1, Tirana" in _text(browser, "ol.suggestions li:first-child")
    _screenshot(browser, "journey-1-suggestions.png")
    _button(browser, "Send the referral")
    _until_url(browser, "?sent=1")
    referral_id = browser.current_url.split("/app/referrals/")[1].split("?")[0]
    with tenant_transaction("AL"):
        referral = Referral.objects.get(id=referral_id)
    assert (str(referral.service_id), str(referral.client_id)) == (
        world.services["near"], str(client.id))
    assert _state_shown(browser) == "Sent"

    # The partner, elsewhere, answers: accepts, starts, completes with an outcome.
    partner = second_browser
    _login(partner, base, f"/app/partner/referrals/{referral_id}", "partner.al")
    _until_present(partner, "#steps-heading")
    assert "Arta Hoxa" in _text(partner, "main")
    _button(partner, "Accept")
    _until_url(partner, "?saved=1")
    browser.refresh()
    _wait(browser).until(lambda driver: _state_shown(driver) == "Accepted")
    _screenshot(browser, "journey-1-counsellor-sees-accepted.png")

    _button(partner, "Start")
    _until_url(partner, "?saved=1")
    _set(partner, "select[name='outcome']", "certificate")
    _button(partner, "Complete")
    _until_url(partner, "?saved=1")
    assert "Certificate obtained" in _text(partner, "main .facts")
    _screenshot(partner, "journey-1-partner-completed.png")

    browser.refresh()
    _wait(browser).until(lambda driver: _state_shown(driver) == "Completed")
    assert "Certificate obtained" in _text(browser, "main .facts")
    _screenshot(browser, "journey-1-counsellor-sees-completed.png")
    with tenant_transaction("AL"):
        referral.refresh_from_db()
    assert (referral.state, referral.outcome) == ("completed", "certificate")


def test_a_centre_manager_records_a_group_session(browser: Any,
                                                  web_client_redirect: str) -> None:
    centre_id = _centre()
    counsellor = _principal("counsellor.al", Role.COUNSELLOR)
    attendees = [UUID(register_client("AL")),
                 UUID(register_client("AL", given_name="Drita", family_name="Gashi",
                                      birth_date="1990-05-06", birth_year=1990))]
    with tenant_transaction("AL"):
        for client_id in attendees:
            visit_record(actor=counsellor, client_id=client_id, centre_id=centre_id,
                         occurred_at=datetime(2026, 11, 2, 9, tzinfo=UTC), channel="in_person",
                         services=["counselling"], topics=[], destinations_discussed=[])

    _login(browser, web_client_redirect, "/app/sessions/new", "manager.al")
    _until_present(browser, "#session-heading")
    _type(browser, "topic", "Working in Germany: first steps")
    _type(browser, "facilitators", "Elira Dema")
    for client_id in attendees:
        _tick(browser, "attendee_ids", str(client_id))
    _screenshot(browser, "journey-2-group-session.png")
    _button(browser, "Record the session")
    _until_url(browser, "?saved=1")
    assert "Working in Germany: first steps" in _text(browser, "main")
    _screenshot(browser, "journey-2-group-sessions.png")
    with tenant_transaction("AL"):
        session = GroupSession.objects.get(topic="Working in Germany: first steps")
        assert {a.client_id for a in session.attendances.all()} == set(attendees)


# The key pages' headings as the .po files translate them.
TRANSLATED = {
    "sr": {"lang": "sr-Cyrl", "search": "Пронађи клијента",
           "new": "Регистрација новог клијента", "consent": "1. Сагласност клијента",
           "visit": "Евидентирај посету", "need": "1. Шта је клијенту потребно?"},
    "sq": {"lang": "sq", "search": "Gjeni një klient", "new": "Regjistro një klient të ri",
           "consent": "1. Pëlqimi i klientit", "visit": "Regjistro një vizitë",
           "need": "1. Çfarë i nevojitet klientit?"},
}


def _switch_language(driver: Any, code: str) -> None:
    """Choose the language in the header and press its button."""
    _set(driver, "#language-choice", code)
    _button(driver, driver.find_element("css selector", "form.language button").text,
            within="form.language")
    _wait(driver).until(lambda d: d.find_element("tag name", "html").get_attribute("lang")
                        == TRANSLATED[code]["lang"])


def test_the_counsellors_pages_in_serbian_and_albanian(browser: Any,
                                                       web_client_redirect: str) -> None:
    base = web_client_redirect
    client_id = register_client("AL")
    _centre()
    _login(browser, base, "/app/clients", "counsellor.al")
    for code, words in TRANSLATED.items():
        browser.get(f"{base}/app/clients")
        _until_present(browser, "#language-choice")
        _switch_language(browser, code)
        assert _text(browser, "main h1") == words["search"]
        _screenshot(browser, f"journey-3-{code}-search.png")

        browser.get(f"{base}/app/clients/new")
        _until_present(browser, "#consent-heading")
        assert _text(browser, "main h1") == words["new"]
        assert _text(browser, "#consent-heading") == words["consent"]
        _screenshot(browser, f"journey-3-{code}-register.png")

        browser.get(f"{base}/app/clients/{client_id}")
        _until_present(browser, "#visit-heading")
        assert _text(browser, "#visit-heading") == words["visit"]
        _screenshot(browser, f"journey-3-{code}-client.png")

        browser.get(f"{base}/app/clients/{client_id}/refer")
        _until_present(browser, "#need-heading")
        assert _text(browser, "#need-heading") == words["need"]
        _screenshot(browser, f"journey-3-{code}-refer.png")


def test_another_tenants_client_typed_by_hand_is_not_found(browser: Any,
                                                           web_client_redirect: str) -> None:
    base = web_client_redirect
    client_id = register_client("AL")
    _login(browser, base, "/app/clients", "counsellor.rs")
    browser.get(f"{base}/app/clients/{client_id}")
    _until_present(browser, "main h1")
    assert _text(browser, "main h1") == "Not found"
    assert "There is nothing here, or it is not for you to see." in _text(browser, "main")
    assert "Hoxha" not in browser.page_source
    _screenshot(browser, "journey-4-cross-tenant-not-found.png")
