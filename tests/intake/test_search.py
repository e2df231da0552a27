"""The client search's keys in SQL and the indexes built from them (`intake.search`)."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from intake.search import loose_word
from services.tenancy.routers import OWNER_ALIAS


@pytest.mark.parametrize(("word", "loose"), [("djordjevic", "dordevic"), ("dzaferi", "zaferi"),
                                             ("gjorgjievski", "gorgievski"), ("kjoska", "koska"),
                                             ("hoxha", "hoxha")])
def test_a_searched_word_is_folded_like_the_loose_name_key(word: str, loose: str) -> None:
    assert loose_word(word) == loose


@pytest.mark.integration
@pytest.mark.django_db(databases=["default", OWNER_ALIAS])
def test_the_search_indexes_have_the_migration_of_what_the_search_computes() -> None:
    """The trigram index on the loose name key is built from the search's own expression; when
    the expression changes (new equivalent spellings), the index needs a migration, or the
    search silently stops using it."""
    call_command("makemigrations", "intake", check=True, dry_run=True, verbosity=0)
