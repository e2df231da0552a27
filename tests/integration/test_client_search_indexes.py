"""The client searches can use their trigram indexes as the application role, under row-level
security, only because the functions they apply to columns are marked LEAKPROOF when the stack
creates a database (`infra.stack.postgres.LEAKPROOF_FUNCTIONS`); without the mark PostgreSQL
filters by the tenant policy first and scans every row of the tenant, whatever the indexes.

The plan itself depends on table statistics, which a test's rolled-back rows do not give the
planner; `msc bench web` shows the searches with 100,000 clients.
"""

from __future__ import annotations

import pytest
from django.db import connection

from infra.stack.postgres import LEAKPROOF_FUNCTIONS
from intake.search import loose_name_key, phone_digits

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_the_searched_functions_are_leakproof() -> None:
    with connection.cursor() as cursor:
        for function in LEAKPROOF_FUNCTIONS:
            cursor.execute("SELECT proleakproof FROM pg_proc WHERE oid = %s::regprocedure",
                           [function])
            assert cursor.fetchone() == (True,), function


def test_the_search_expressions_use_only_those_functions() -> None:
    """A new function in the searched expressions must be added to the list (and be safe)."""
    used = {type(node).__name__ for node in _nodes(loose_name_key())} | {
        type(node).__name__ for node in _nodes(phone_digits())}
    assert used <= {"Replace", "Func", "F", "Value"}, used


def _nodes(expression: object) -> list[object]:
    found = [expression]
    for child in getattr(expression, "get_source_expressions", list)():
        found.extend(_nodes(child))
    return found
