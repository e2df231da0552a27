"""Keycloak access tokens, checked locally against the realm's key set, and the roles they carry."""
