"""ClickHouse schema of visits: one pseudonymised fact row per version of a recorded visit."""

from __future__ import annotations

from analytics_stream.clickhouse.sql import checked_identifier, insert_sql, replacing_table_sql

VISIT_FACTS_TABLE = "visit_facts"

# Column name and type, in insert order. The row builder (analytics_stream.processors) fills
# exactly these; the snapshot test shows any change in review.
VISIT_FACT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("tenant_id", "String"),
    ("visit_id", "String"),
    ("version", "UInt64"),
    ("event_id", "String"),
    ("recorded_date", "Date"),
    ("visit_date", "Date"),
    ("occurred_at", "DateTime"),
    ("centre_id", "String"),
    ("channel", "String"),
    ("services", "Array(String)"),
    ("topics", "Array(String)"),
    ("destinations_discussed", "Array(String)"),
    ("group_session_id", "String"),
    ("client_pseudonym", "String"),
    ("client_category", "String"),
    ("sex", "String"),
    ("age_years", "UInt8"),
    ("age_band", "String"),
    ("citizenship", "String"),
    ("municipality_code", "String"),
    ("urban", "UInt8"),
    ("education_level", "String"),
    ("employment_status", "String"),
    ("occupation_isco", "String"),
    ("previous_stay_countries", "Array(String)"),
    ("previous_stay_purposes", "Array(String)"),
    ("migration_intention", "String"),
    ("preferred_destinations", "Array(String)"),
    ("permit_status", "String"),
)


def visit_facts_table_sql(database: str, table: str = VISIT_FACTS_TABLE) -> str:
    """DDL of `visit_facts`: the latest version of each visit wins.

    ReplacingMergeTree(version) keyed on (tenant, visit) keeps one row per visit: a redelivered
    event rewrites its own row, a correction (higher version) replaces the older one even when it
    moves the visit to another day. Replacement happens only inside a partition, so the partition
    is the month the visit was first *recorded*, which no correction changes. Merges happen when
    ClickHouse decides: readers use FINAL.
    """
    return replacing_table_sql(database, table, VISIT_FACT_COLUMNS,
                               partition_by="toYYYYMM(recorded_date)",
                               order_by="(tenant_id, visit_id)")


def drop_visit_facts_sql(database: str) -> str:
    return f"DROP TABLE IF EXISTS {checked_identifier(database)}.{VISIT_FACTS_TABLE}"


def insert_visit_facts_sql(database: str) -> str:
    return insert_sql(database, VISIT_FACTS_TABLE, VISIT_FACT_COLUMNS)


def visit_facts_0001_table_sql(database: str) -> str:
    """The first layout (migration 0001), keyed by the visit's date; replaced by 0002."""
    return f"""
CREATE TABLE IF NOT EXISTS {checked_identifier(database)}.{VISIT_FACTS_TABLE}
(
    tenant_id String,
    visit_id String,
    event_id String,
    version UInt64,
    visit_date Date,
    visited_at DateTime,
    centre_id String,
    client_pseudonym String,
    client_category String,
    sex String,
    age_band String,
    municipality_code String,
    urban UInt8,
    employment_status String,
    services Array(String),
    channel String,
    erased UInt8 DEFAULT 0,
    ingested_at DateTime DEFAULT now()
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(visit_date)
ORDER BY (tenant_id, visit_date, visit_id)
"""
