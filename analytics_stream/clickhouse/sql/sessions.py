"""ClickHouse schema of group sessions: one row per session, for topics and where they were held.

Attendance itself is in `visit_facts` (each attendee's counselling visit carries the session id).
"""

from __future__ import annotations

from analytics_stream.clickhouse.sql import replacing_table_sql

GROUP_SESSION_FACTS_TABLE = "group_session_facts"

GROUP_SESSION_FACT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("tenant_id", "String"),
    ("session_id", "String"),
    ("version", "UInt64"),
    ("event_id", "String"),
    ("held_date", "Date"),
    ("held_at", "DateTime"),
    ("centre_id", "String"),
    ("centre_name", "String"),
    ("topic", "String"),
    ("partner_institution", "String"),
    ("attendees", "UInt32"),
)


def group_session_facts_table_sql(database: str, table: str = GROUP_SESSION_FACTS_TABLE) -> str:
    """DDL of `group_session_facts`; a redelivered event replaces its own row (read with FINAL)."""
    return replacing_table_sql(database, table, GROUP_SESSION_FACT_COLUMNS,
                               partition_by="toYYYYMM(held_date)",
                               order_by="(tenant_id, session_id)")

