"""ClickHouse access: the client, schema builders, numbered migrations and the migration runner."""
