"""The transactional outbox: events written with the business rows, published by the relay."""
