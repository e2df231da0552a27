"""Shared test set-up: the real stack is required in CI and skipped (with a reason) elsewhere."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import connections

from infra.stack.component import Component
from infra.stack.manager import component_named
from services.tenancy.routers import OWNER_ALIAS

IN_CI = os.environ.get("CI", "").lower() == "true"


def unavailable(message: str) -> NoReturn:
    """What a test does when something it needs is missing: fail in CI, skip elsewhere."""
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def require_component(name: str) -> Component:
    """The running component, or a failure in CI / a skip elsewhere when it is not up."""
    component = component_named(name)
    if not component.healthy():
        where = f"{component.config.host}:{component.port}"
        unavailable(f"{name} is not running on {where}; run `msc stack up`")
    return component


def require_started_by_msc(name: str) -> Component:
    """The running component, which `msc stack up` started (so a test may stop and restart it)."""
    component = require_component(name)
    if component.recorded_pid() is None:
        unavailable(f"{name} was not started by `msc stack up`, so this test cannot restart it")
    return component


@pytest.fixture(scope="session")
def django_db_setup(django_db_blocker: Any) -> Iterator[None]:
    """A PostgreSQL database of this run's own, migrated as the owner role, dropped afterwards."""
    from infra.stack.postgres import Postgres

    pg = require_component("postgres")
    assert isinstance(pg, Postgres)
    name = str(settings.DATABASES["default"]["NAME"])
    with django_db_blocker.unblock():
        pg.create_database(name)
        call_command("migrate", database=OWNER_ALIAS, interactive=False, verbosity=0)
    yield
    with django_db_blocker.unblock():
        connections.close_all()
        pg.drop_database(name)


@pytest.fixture(scope="session", autouse=True)
def _request_counts_removed() -> Iterator[None]:
    """This run's request counts (services.api.throttling) and cache go when the run ends."""
    yield
    shutil.rmtree(settings.THROTTLE_DIR, ignore_errors=True)
    shutil.rmtree(str(settings.CACHES["default"]["LOCATION"]), ignore_errors=True)


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Every test starts with an empty cache: each recreates this run's ClickHouse database under
    the same name, and a summary counted by the test before must not look current to the next.
    A count the test before left running ends first, or it would fill the emptied cache."""
    from analytics_stream.statistics import wait_for_counts

    wait_for_counts(60)
    cache.clear()


@pytest.fixture
def clickhouse_database() -> Iterator[str]:
    """This run's ClickHouse database, migrated; dropped again afterwards."""
    from analytics_stream.clickhouse.migrate import apply_migrations, drop_database
    from services.conf import clickhouse_settings

    require_component("clickhouse")
    database = clickhouse_settings()["DATABASE"]
    apply_migrations(database)
    yield database
    drop_database(database)


REFERENCE = Path(os.environ.get(
    "MSC_STATISTICS_REFERENCE",
    Path(__file__).resolve().parents[2] / "shared" / "reference" / "msc-statistics-2008q3.json"))


@pytest.fixture(scope="session")
def reference() -> dict[str, Any]:
    """The figures the programme published for June-August 2008 (the project's shared folder)."""
    from analytics_stream.figures import load_reference

    if not REFERENCE.exists():
        unavailable(f"the published report is not at {REFERENCE} (set MSC_STATISTICS_REFERENCE)")
    return load_reference(REFERENCE)


# Tables whose rows the migrations create and every test relies on.
# Reference data the migrations load: tenants and the shared taxonomies.
_KEPT_TABLES = {"tenancy_tenant", "django_migrations", "django_content_type",
                "referrals_taxonomy", "referrals_taxonomyterm"}


@pytest.fixture(autouse=True)
def _committed_rows_removed(request: pytest.FixtureRequest) -> Iterator[None]:
    """After a test that commits (transaction=True), empty every table it may have written.

    pytest-django's flush after such a test truncates only what the router lets the connection
    migrate, and only the owner alias migrates here; so the owner truncates instead (TRUNCATE is
    not subject to row-level security), keeping the reference data the migrations created.
    """
    yield
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction", False):
        return
    import psycopg

    owner = settings.DATABASES[OWNER_ALIAS]
    dsn = psycopg.conninfo.make_conninfo(
        dbname=str(owner["NAME"]), user=str(owner["USER"]), password=str(owner["PASSWORD"]),
        host=str(owner["HOST"]), port=str(owner["PORT"]))
    with psycopg.connect(dsn, autocommit=True) as connection:
        names = connection.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
        tables = sorted(name for (name,) in names
                        if name not in _KEPT_TABLES and not name.startswith("auth_"))
        if tables:
            connection.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables))
