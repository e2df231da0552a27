"""The client search's keys in SQL, shared by the searches and by the indexes that serve them.

PostgreSQL uses an expression index only for a query that computes the very same expression,
so the counsellor's search (`services.web.clients.client_search`) and the trigram indexes of
`intake.models.Client` are both built from these functions: changing one changes the other, and
`makemigrations` then asks for a migration that rebuilds the index.
"""

from __future__ import annotations

from django.db.models import F, Func, Value
from django.db.models.functions import Replace

from intake.names import EQUIVALENT_SPELLINGS, loose


def loose_name_key() -> F | Func:
    """`name_key`'s loose form: "dordevic" finds "Đorđević" ("djordjevic")."""
    expression: F | Func = F("name_key")
    for digraph, single in EQUIVALENT_SPELLINGS:
        expression = Replace(expression, Value(digraph), Value(single))
    return expression


def loose_word(word: str) -> str:
    """A searched word in the loose form `loose_name_key` compares it with."""
    return loose(word)


def phone_digits() -> Func:
    """The digits of `phone` alone, whatever notation it was typed in."""
    return Func(F("phone"), Value(r"\D"), Value(""), Value("g"), function="regexp_replace")
