"""ClickHouse schema of visits: one pseudonymised fact row per recorded visit."""

from __future__ import annotations

from analytics_stream.clickhouse.sql import checked_identifier

VISIT_FACTS_TABLE = "visit_facts"


def visit_facts_table_sql(database: str) -> str:
    """DDL of `visit_facts`, one row per visit version.

    ReplacingMergeTree(version) keeps the highest version of each (tenant, date, visit) key, so a
    redelivered or re-published event replaces its own row instead of counting twice; readers use
    FINAL (or argMax) because merges happen whenever ClickHouse decides. `erased` marks the visits
    of a client who exercised the right to erasure, written as a newer version.
    """
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
