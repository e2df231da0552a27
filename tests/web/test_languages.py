"""The pages in the user's language: switched in the header, remembered in a cookie, announced
in `<html lang>`; dates and numbers written the way the language writes them."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from tests.referral_world import LANGUAGE_COURSE, World, refer
from tests.web.conftest import logged_in

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def _switch(client: Client, language: str, back_to: str) -> None:
    answer = client.post("/i18n/setlang/", {"language": language, "next": back_to})
    assert answer.status_code == 302 and answer["Location"] == back_to
    cookie = client.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == language and int(cookie["max-age"]) >= 300 * 24 * 3600


def test_macedonian_is_remembered_and_dates_follow_it(world: World) -> None:
    referral = refer(world)
    url = f"/app/partner/referrals/{referral['id']}"
    partner = logged_in("partner.al")
    english = partner.get(url).content.decode()
    assert '<html lang="en">' in english and "What you can do now" in english

    _switch(partner, "mk", url)
    page = partner.get(url).content.decode()
    assert '<html lang="mk">' in page
    for word in ("Што можете да направите сега", "Прифати", "Одбиј", "Курс по јазик",
                 "Испратено", "Примени упатувања", "Прескокни до главната содржина",
                 "Одјава"):
        assert word in page, word
    assert "What you can do now" not in page
    sent = parse_datetime(referral["sent_at"])
    assert sent is not None
    with timezone.override("Europe/Tirane"):
        local = timezone.localtime(sent)
    assert local.strftime("%d.%m.%Y") in page  # the Macedonian way, day first
    # Remembered: the next page, a different one, is in Macedonian too.
    assert "Упатувања до вашата институција" in partner.get(
        "/app/partner/referrals").content.decode()


def test_albanian_with_its_numbers_and_the_counsellor_pages(world: World) -> None:
    counsellor = logged_in("counsellor.al")
    _switch(counsellor, "sq", "/app/clients")
    page = counsellor.get("/app/clients", {"q": "Hoxha"}).content.decode()
    assert '<html lang="sq">' in page
    for word in ("Gjeni një klient", "Klientët", "Referimet", "Njoftimet", "Dil",
                 "1 klient u gjet."):
        assert word in page, word
    refer_page = counsellor.get(f"/app/clients/{world.client_id}/refer",
                                {"need": LANGUAGE_COURSE}).content.decode()
    assert "Largësia" in refer_page and "Vende të lira" in refer_page
    # Routing's reasons too, from their codes.
    assert "Klienti është 41 vjeç; shërbimi pranon moshat 16 e lart." in refer_page
    assert "Ka një vendndodhje në bashkinë e klientit (AL-11)." in refer_page
    score = re.search(r"pikët (\d+[.,]\d\d)", refer_page)
    assert score is not None and "," in score.group(1)  # decimal comma in Albanian


def test_each_language_and_script_renders(world: World) -> None:
    expected = {"sr": ("sr-Cyrl", "Пронађи клијента"), "sr-latn": ("sr-Latn", "Pronađi klijenta"),
                "bs": ("bs", "Pronađi klijenta"), "hr": ("hr", "Pronađi klijenta"),
                "cnr": ("cnr", "Pronađi klijenta")}
    counsellor = logged_in("counsellor.al")
    for language, (tag, heading) in expected.items():
        _switch(counsellor, language, "/app/clients")
        page = counsellor.get("/app/clients").content.decode()
        assert f'<html lang="{tag}">' in page, language
        assert f"<h1>{heading}</h1>" in page, language
        assert re.search(rf'<option value="{language}" lang="{tag}" selected>', page), language


def test_a_browser_language_is_used_until_the_user_chooses(stack: None) -> None:
    page = Client(headers={"accept-language": "hr-HR,hr;q=0.9,en;q=0.5"}).get("/")
    assert '<html lang="hr">' in page.content.decode()
    assert "Prijava" in page.content.decode()
    api = Client(headers={"accept-language": "hr"}).get("/api/v1/me")
    assert "Content-Language" not in api  # the API keeps one language
