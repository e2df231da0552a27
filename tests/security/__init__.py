"""Security properties checked against the real components."""
