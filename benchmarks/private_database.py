"""A PostgreSQL database of a benchmark's own, so the platform's data is never touched.

`private_database()` sets Django up on a new database `msc_bench_<id>`, creates it (owned by the
owner role, as the tests' databases are), migrates it as the owner role and drops it when the
benchmark ends: normally, with an error, or stopped by SIGTERM or SIGINT (Ctrl-C).
"""

from __future__ import annotations

import os
import signal
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from infra.stack.manager import component_named
from infra.stack.postgres import Postgres

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _setup_django(database: str) -> None:
    os.environ["MSC_PG_DATABASE"] = database
    os.environ["DJANGO_SETTINGS_MODULE"] = "services.settings.dev"
    import django
    from django.conf import settings

    django.setup()
    if settings.DATABASES["default"]["NAME"] != database:
        raise SystemExit(f"Django was set up before the benchmark (database "
                         f"{settings.DATABASES['default']['NAME']}); run it on its own")


def _postgres() -> Postgres:
    pg = component_named("postgres")
    assert isinstance(pg, Postgres)
    return pg


def _create(database: str) -> None:
    from django.core.management import call_command

    from services.tenancy.routers import OWNER_ALIAS

    _postgres().create_database(database)
    call_command("migrate", database=OWNER_ALIAS, interactive=False, verbosity=0)


def _drop(database: str) -> None:
    from django.db import connections

    connections.close_all()
    _postgres().drop_database(database)


def _stop(signum: int, frame: FrameType | None) -> None:
    # SIGTERM would end the process without unwinding; as an exception it runs the `finally`
    # that drops the database, like Ctrl-C (128 + signal number is the shell's exit status).
    raise SystemExit(128 + signum)


@contextmanager
def private_database() -> Iterator[str]:
    """Django on a new, migrated database `msc_bench_<id>`, dropped on leaving or on a signal."""
    database = f"msc_bench_{uuid.uuid4().hex[:8]}"
    _setup_django(database)
    previous = {number: signal.signal(number, _stop) for number in STOP_SIGNALS}
    try:
        _create(database)
        yield database
    finally:
        # A second Ctrl-C must not cut the drop short and leave the database behind.
        for number in STOP_SIGNALS:
            signal.signal(number, signal.SIG_IGN)
        try:
            _drop(database)
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)
