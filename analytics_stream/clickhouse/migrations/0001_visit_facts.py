"""Visit facts: the first table behind the live statistics."""

from __future__ import annotations

from analytics_stream.clickhouse.sql.visits import visit_facts_0001_table_sql


def operations(database: str) -> list[str]:
    """Statements of this migration, each idempotent (IF NOT EXISTS)."""
    return [visit_facts_0001_table_sql(database)]
