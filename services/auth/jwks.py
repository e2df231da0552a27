"""The realm's signing keys, fetched once and cached; refreshed on an unknown key id, rate-limited.

A forged token with a made-up `kid` must not turn every request into a call to Keycloak, so a
refresh for an unknown key happens at most once per `min_refresh_seconds`. The cache is per process:
it holds only public keys that any worker can fetch again, never state another worker needs.

When Keycloak cannot be reached, the keys already trusted keep answering, and after a failed fetch
the next one waits `min_refresh_seconds` too: otherwise, once the cache had expired, every request
would try again, and behind a firewall that drops packets each would wait the full fetch timeout
(holding the lock, so every request of the process would queue behind it).
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import jwt

Fetcher = Callable[[str], dict[str, Any]]


class KeySetUnavailable(RuntimeError):
    """The key set could not be fetched and no cached copy can answer."""


class UnknownKeyId(LookupError):
    """The token names a key the realm does not publish."""


def fetch_json(url: str, timeout: float = 5.0) -> dict[str, Any]:
    """GET a JSON document (the realm's JWKS)."""
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            document = json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise KeySetUnavailable(f"cannot fetch {url}: {exc}") from exc
    if not isinstance(document, dict):
        raise KeySetUnavailable(f"{url} did not return a JSON object")
    return document


class JwksCache:
    """RS256 signing keys of one realm, by key id."""

    def __init__(
        self,
        url: str,
        *,
        cache_seconds: float = 3600,
        min_refresh_seconds: float = 30,
        fetch: Fetcher = fetch_json,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.cache_seconds = cache_seconds
        self.min_refresh_seconds = min_refresh_seconds
        self._fetch = fetch
        self._clock = clock
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._failed_at: float | None = None
        self._lock = threading.Lock()
        self.fetch_count = 0

    def _refresh(self) -> None:
        document = self._fetch(self.url)
        self.fetch_count += 1
        keys: dict[str, jwt.PyJWK] = {}
        for entry in document.get("keys", []):
            if not isinstance(entry, dict):
                continue
            if entry.get("kty") != "RSA" or entry.get("use", "sig") != "sig":
                continue
            if entry.get("alg", "RS256") != "RS256" or not isinstance(entry.get("kid"), str):
                continue
            keys[entry["kid"]] = jwt.PyJWK(entry, algorithm="RS256")
        self._keys = keys
        self._fetched_at = self._clock()

    def _may_refresh(self) -> bool:
        return self._fetched_at is None or (
            self._clock() - self._fetched_at >= self.min_refresh_seconds
        )

    def _backing_off(self) -> bool:
        """A fetch failed less than `min_refresh_seconds` ago and trusted keys can answer."""
        return bool(self._keys) and self._failed_at is not None and (
            self._clock() - self._failed_at < self.min_refresh_seconds
        )

    def key_for(self, kid: str) -> jwt.PyJWK:
        """The key with this id: from the cache, or after at most one rate-limited refresh."""
        with self._lock:
            expired = self._fetched_at is None or (
                self._clock() - self._fetched_at >= self.cache_seconds
            )
            wanted = expired or (kid not in self._keys and self._may_refresh())
            if wanted and not self._backing_off():
                try:
                    self._refresh()
                    self._failed_at = None
                except KeySetUnavailable:
                    self._failed_at = self._clock()
                    # Keycloak unreachable: keep validating with the keys we already trust.
                    if not self._keys:
                        raise
            key = self._keys.get(kid)
        if key is None:
            raise UnknownKeyId(kid)
        return key

    def warm(self) -> int:
        """Fetch now (used by readiness); returns how many signing keys the realm publishes."""
        with self._lock:
            self._refresh()
            return len(self._keys)
