CREATE TABLE {database}.visit_facts
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
SETTINGS index_granularity = 8192;
