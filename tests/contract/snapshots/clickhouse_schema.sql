CREATE TABLE {database}.group_session_facts
(
    tenant_id String,
    session_id String,
    version UInt64,
    event_id String,
    held_date Date,
    held_at DateTime,
    centre_id String,
    centre_name String,
    topic String,
    partner_institution String,
    attendees UInt32,
    ingested_at DateTime DEFAULT now()
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(held_date)
ORDER BY (tenant_id, session_id)
SETTINGS index_granularity = 8192;

CREATE TABLE {database}.referral_facts
(
    tenant_id String,
    referral_id String,
    version UInt64,
    event_id String,
    sent_date Date,
    sent_at DateTime,
    occurred_at DateTime,
    answered_at Nullable(DateTime),
    action String,
    state String,
    client_pseudonym String,
    organization_id String,
    organization_name String,
    service_id String,
    service_name String,
    need String,
    suggestion_rank UInt16,
    outcome String,
    ingested_at DateTime DEFAULT now()
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(sent_date)
ORDER BY (tenant_id, referral_id)
SETTINGS index_granularity = 8192;

CREATE TABLE {database}.visit_facts
(
    tenant_id String,
    visit_id String,
    version UInt64,
    event_id String,
    recorded_date Date,
    visit_date Date,
    occurred_at DateTime,
    centre_id String,
    channel String,
    services Array(String),
    topics Array(String),
    destinations_discussed Array(String),
    group_session_id String,
    client_pseudonym String,
    client_category String,
    sex String,
    age_years UInt8,
    age_band String,
    citizenship String,
    municipality_code String,
    urban UInt8,
    education_level String,
    employment_status String,
    occupation_isco String,
    previous_stay_countries Array(String),
    previous_stay_purposes Array(String),
    migration_intention String,
    preferred_destinations Array(String),
    permit_status String,
    ingested_at DateTime DEFAULT now()
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(recorded_date)
ORDER BY (tenant_id, visit_id)
SETTINGS index_granularity = 8192;
