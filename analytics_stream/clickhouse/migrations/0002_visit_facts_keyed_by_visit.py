"""Visit facts keyed by (tenant, visit), partitioned by the month first recorded.

0001 keyed facts by the visit's date, so a correction that moved a visit to another day would have
left its old row counted too. No processor had written to that table yet: it is replaced.
"""

from __future__ import annotations

from analytics_stream.clickhouse.sql.visits import drop_visit_facts_sql, visit_facts_table_sql


def operations(database: str) -> list[str]:
    return [drop_visit_facts_sql(database), visit_facts_table_sql(database)]
