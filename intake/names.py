"""Name keys for finding a person however their name was typed.

Counsellors type the same name in Latin or Cyrillic script, with or without diacritics: "Đorđević",
"Djordjevic", "Ђорђевић" and "Dordevic" are one family name. A name key folds all of them to the
same plain lowercase ASCII string; duplicate detection and search compare keys, never raw names.
"""

from __future__ import annotations

import unicodedata
from difflib import SequenceMatcher

# Serbian and Macedonian Cyrillic to their official Latin spellings (lowercase; input is lowered).
_CYRILLIC_TO_LATIN: dict[str, str] = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "ђ": "đ", "ѓ": "gj", "е": "e", "ж": "ž",
    "з": "z", "ѕ": "dz", "и": "i", "ј": "j", "к": "k", "ќ": "kj", "л": "l", "љ": "lj", "м": "m",
    "н": "n", "њ": "nj", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "ћ": "ć", "у": "u",
    "ф": "f", "х": "h", "ц": "c", "ч": "č", "џ": "dž", "ш": "š",
}

# Letters whose plain-ASCII spelling is not just the letter without its mark.
_LATIN_FOLDS: dict[str, str] = {"đ": "dj", "ß": "ss", "æ": "ae", "ø": "o", "ł": "l"}

# Spellings people use interchangeably once diacritics are gone ("Dordevic" for "Đorđević").
EQUIVALENT_SPELLINGS: tuple[tuple[str, str], ...] = (("dj", "d"), ("dz", "z"), ("gj", "g"),
                                                      ("kj", "k"))

SIMILARITY_THRESHOLD = 0.85


def name_key(name: str) -> str:
    """Plain lowercase ASCII form of a name: script, diacritics, case and spacing folded."""
    lowered = name.strip().lower()
    latin = "".join(_CYRILLIC_TO_LATIN.get(ch, ch) for ch in lowered)
    folded = "".join(_LATIN_FOLDS.get(ch, ch) for ch in latin)
    decomposed = unicodedata.normalize("NFKD", folded)
    ascii_only = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    words = "".join(ch if ch.isalnum() else " " for ch in ascii_only).split()
    return " ".join(words)


def loose(key: str) -> str:
    """A name key (or a word of one) with the interchangeable spellings made one."""
    for digraph, single in EQUIVALENT_SPELLINGS:
        key = key.replace(digraph, single)
    return key


def name_similarity(given_a: str, family_a: str, given_b: str, family_b: str) -> float:
    """Similarity 0..1 of two people's names, tolerant of script, diacritics and swapped order."""
    a = loose(name_key(f"{given_a} {family_a}"))
    b = loose(name_key(f"{given_b} {family_b}"))
    swapped = loose(name_key(f"{family_b} {given_b}"))
    return max(SequenceMatcher(None, a, b).ratio(), SequenceMatcher(None, a, swapped).ratio())


def probably_same_name(given_a: str, family_a: str, given_b: str, family_b: str) -> bool:
    return name_similarity(given_a, family_a, given_b, family_b) >= SIMILARITY_THRESHOLD
