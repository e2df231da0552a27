"""A clickhouse-driver client configured from the Django settings."""

from __future__ import annotations

from clickhouse_driver import Client
from django.conf import settings


def clickhouse_client(database: str | None = None, *,
                      receive_timeout_seconds: float = 60) -> Client:
    """A native-protocol client for `database` (None: the configured platform database).

    The client connects lazily on its first query. It is synchronous and not thread-safe:
    give each thread or executor task its own. A query may go `receive_timeout_seconds` without
    a word from the server (ClickHouse says nothing while it merges an aggregation).
    """
    conf = settings.CLICKHOUSE
    return Client(
        host=conf["HOST"],
        port=conf["PORT"],
        user=conf["USER"],
        password=conf["PASSWORD"],
        database=conf["DATABASE"] if database is None else database,
        connect_timeout=5,
        send_receive_timeout=receive_timeout_seconds,
        # Dates and times are UTC on every server, whatever its own time zone.
        settings={"use_client_time_zone": False},
    )
