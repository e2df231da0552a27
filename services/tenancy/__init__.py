"""Tenants (national employment services) and the row-level security that keeps them apart."""
