"""Fixtures the security suites share: the AL world of `tests.security.surface`, and ClickHouse
for the statistics endpoint. At the end of a run, the number of hostile requests tried and let
through."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import require_component
from tests.security.surface import (
    HOSTILE,
    World,
    build_world,
    rolled_back,
    statistics_database,
)


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    """The AL world, in a transaction rolled back after the module."""
    require_component("postgres")
    require_component("keycloak")
    with django_db_blocker.unblock(), rolled_back():
        yield build_world()


@pytest.fixture(scope="module")
def statistics_store() -> Iterator[None]:
    """ClickHouse for `/stats/summary`, migrated once for the module."""
    with statistics_database():
        yield


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The security suites' score, in every run that loaded them (CI's output included)."""
    terminalreporter.write_line(f"hostile cases tried: {HOSTILE.tried}; "
                                f"let through: {HOSTILE.let_through}")
