"""Keyed pseudonyms of clients: events and statistics can follow one person without knowing who.

A pseudonym is HMAC-SHA256 of the client id under a per-tenant key, itself derived from the
platform's master secret (`MSC_PSEUDONYM_SECRET`). Without the secret nobody can go from a
pseudonym back to a client, nor match one tenant's pseudonyms with another's.

The age band is the other coarsening events use: a band instead of a birth date.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from datetime import date
from functools import lru_cache
from uuid import UUID

# Development only: production settings refuse to start with it (services/settings/prod.py).
DEV_SECRET = "msc-dev-pseudonym-secret-not-for-production"  # noqa: S105


def master_secret() -> bytes:
    """The platform's pseudonym secret; the development default only outside production."""
    return os.environ.get("MSC_PSEUDONYM_SECRET", DEV_SECRET).encode()


@lru_cache(maxsize=32)
def _tenant_key(secret: bytes, tenant_id: str) -> bytes:
    return hmac.new(secret, f"msc-pseudonym-key:{tenant_id}".encode(), hashlib.sha256).digest()


def client_pseudonym(tenant_id: str, client_id: UUID) -> str:
    """The stable pseudonym of a client, 64 hex characters, different in every tenant."""
    key = _tenant_key(master_secret(), tenant_id)
    return hmac.new(key, client_id.bytes, hashlib.sha256).hexdigest()


# Labour-force bands of the published statistics. The youngest label is the one intake events
# already carry (intake.profiles), so both producers fill the same ClickHouse cells.
UNDER_15 = "0-14"
OLDEST = "65+"


def age_band_of_age(age: int) -> str:
    """The band of an age in whole years: 0-14, 15-24, 25-34, ... 55-64, 65+."""
    if age < 15:
        return UNDER_15
    if age >= 65:
        return OLDEST
    low = 15 + (age - 15) // 10 * 10
    return f"{low}-{low + 9}"


def age_band(birth_year: int, on: date) -> str:
    """The band of someone born in `birth_year`, taking the age they reach in `on`'s year.

    Only the year is used: events never carry a birth date, and the age reached that year is
    what the published statistics count.
    """
    return age_band_of_age(max(0, on.year - birth_year))
