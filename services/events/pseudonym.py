"""Keyed pseudonyms of clients: events and statistics can follow one person without knowing who.

A pseudonym is HMAC-SHA256 of the client id under a per-tenant key, itself derived from the
platform's master secret (`MSC_PSEUDONYM_SECRET`). Without the secret nobody can go from a
pseudonym back to a client, nor match one tenant's pseudonyms with another's.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from functools import lru_cache
from uuid import UUID

# Development only: production settings refuse to start with it (services/settings/prod.py).
DEV_SECRET = "msc-dev-pseudonym-secret-not-for-production"  # noqa: S105


def master_secret() -> bytes:
    return os.environ.get("MSC_PSEUDONYM_SECRET", DEV_SECRET).encode()


@lru_cache(maxsize=32)
def _tenant_key(secret: bytes, tenant_id: str) -> bytes:
    return hmac.new(secret, f"msc-pseudonym-key:{tenant_id}".encode(), hashlib.sha256).digest()


def client_pseudonym(tenant_id: str, client_id: UUID) -> str:
    """The stable pseudonym of a client, 64 hex characters, different in every tenant."""
    key = _tenant_key(master_secret(), tenant_id)
    return hmac.new(key, client_id.bytes, hashlib.sha256).hexdigest()
