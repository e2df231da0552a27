"""`msc migrate`: PostgreSQL schema (as the owner role), ClickHouse schema and Kafka topics."""

from __future__ import annotations

from django.conf import settings
from django.core.management import call_command

from services.tenancy.routers import OWNER_ALIAS


def migrate_postgres(*, verbose: bool = True) -> None:
    """Django migrations, run as the table owner; safe to re-run."""
    call_command("migrate", database=OWNER_ALIAS, interactive=False,
                 verbosity=1 if verbose else 0)


def migrate_all(*, verbose: bool = True) -> None:
    """Every schema the platform owns, each step idempotent."""
    from analytics_stream.clickhouse.migrate import apply_migrations
    from services.events.topics import ensure_topics

    migrate_postgres(verbose=verbose)
    applied = apply_migrations()
    created = ensure_topics(settings.KAFKA["BOOTSTRAP_SERVERS"], settings.KAFKA["TOPIC_PREFIX"])
    if verbose:
        print(f"clickhouse: {len(applied)} migration(s) applied {applied}")  # noqa: T201
        print(f"kafka: {len(created)} topic(s) created {created}")  # noqa: T201
