"""ClickHouse schema of referrals: one pseudonymised fact row per referral, its latest state."""

from __future__ import annotations

from analytics_stream.clickhouse.sql import insert_sql, replacing_table_sql

REFERRAL_FACTS_TABLE = "referral_facts"

# Column name and type, in insert order; the row builder (analytics_stream.processors) fills
# exactly these. `suggestion_rank` 0 means the service was chosen outside the routing suggestions
# (ranks start at 1); `answered_at` is NULL until the institution accepts or declines.
REFERRAL_FACT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("tenant_id", "String"),
    ("referral_id", "String"),
    ("version", "UInt64"),
    ("event_id", "String"),
    ("sent_date", "Date"),
    ("sent_at", "DateTime"),
    ("occurred_at", "DateTime"),
    ("answered_at", "Nullable(DateTime)"),
    ("action", "String"),
    ("state", "String"),
    ("client_pseudonym", "String"),
    ("organization_id", "String"),
    ("organization_name", "String"),
    ("service_id", "String"),
    ("service_name", "String"),
    ("need", "String"),
    ("suggestion_rank", "UInt16"),
    ("outcome", "String"),
)


def referral_facts_table_sql(database: str, table: str = REFERRAL_FACTS_TABLE) -> str:
    """DDL of `referral_facts`: each referral's highest version wins.

    Every step of a referral is an event carrying the whole referral and its version, so the row
    of the latest step replaces the earlier ones and a redelivered or late (stale) event changes
    nothing. Replacement happens only inside a partition: the partition is the month the referral
    was sent, which no later step changes (drafts, never sent, have no row). Readers use FINAL.
    """
    return replacing_table_sql(database, table, REFERRAL_FACT_COLUMNS,
                               partition_by="toYYYYMM(sent_date)",
                               order_by="(tenant_id, referral_id)")


def insert_referral_facts_sql(database: str) -> str:
    return insert_sql(database, REFERRAL_FACTS_TABLE, REFERRAL_FACT_COLUMNS)
