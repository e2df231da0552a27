"""Name keys and similarity: one person however the name was typed."""

from __future__ import annotations

import pytest

from intake.names import name_key, name_similarity, probably_same_name


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("Đorđević", "djordjevic"),
        ("Ђорђевић", "djordjevic"),
        ("Djordjevic", "djordjevic"),
        ("  Šćekić  ", "scekic"),
        ("Шћекић", "scekic"),
        ("Ѓорѓиевски", "gjorgjievski"),
        ("Xhaferri-Kola", "xhaferri kola"),
        ("Çela Ëndri", "cela endri"),
    ],
)
def test_name_key_folds_script_diacritics_and_case(typed: str, key: str) -> None:
    assert name_key(typed) == key


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (("Marko", "Đorđević"), ("Марко", "Ђорђевић")),
        (("Marko", "Đorđević"), ("Marko", "Dordevic")),
        (("Marko", "Đorđević"), ("Đorđević", "Marko")),
        (("Jelena", "Petrović"), ("Jelena", "Petrovic")),
        (("Arben", "Krasniqi"), ("Arben", "Krasniqui")),
    ],
)
def test_same_person_spelled_differently(a: tuple[str, str], b: tuple[str, str]) -> None:
    assert probably_same_name(*a, *b), name_similarity(*a, *b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (("Marko", "Đorđević"), ("Milan", "Jovanović")),
        (("Jelena", "Petrović"), ("Ana", "Petrović")),
        (("Arben", "Krasniqi"), ("Besnik", "Gashi")),
    ],
)
def test_different_people_are_not_matched(a: tuple[str, str], b: tuple[str, str]) -> None:
    assert not probably_same_name(*a, *b), name_similarity(*a, *b)
