"""Stream processing: Kafka events into pseudonymised ClickHouse facts and the live statistics."""
