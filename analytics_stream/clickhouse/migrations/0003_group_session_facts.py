"""Group sessions: topic, centre and size of each session."""

from __future__ import annotations

from analytics_stream.clickhouse.sql.sessions import group_session_facts_table_sql


def operations(database: str) -> list[str]:
    return [group_session_facts_table_sql(database)]
