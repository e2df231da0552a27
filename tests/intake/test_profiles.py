"""Age and age bands, the only trace of a birth date that leaves the intake database."""

from __future__ import annotations

from datetime import date

from intake.models import Client
from intake.profiles import age_on


def test_age_from_full_birth_date_counts_the_birthday() -> None:
    client = Client(birth_year=1990, birth_date=date(1990, 6, 15))
    assert age_on(client, date(2008, 6, 14)) == 17
    assert age_on(client, date(2008, 6, 15)) == 18


def test_age_from_birth_year_alone() -> None:
    assert age_on(Client(birth_year=1975), date(2008, 7, 1)) == 33
