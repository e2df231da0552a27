"""Keycloak's key set: tokens keep validating with the cached keys while Keycloak cannot be
reached, and the API follows a real key rotation (a new key, then the old one disabled).

Everything happens in a throw-away realm made through the admin REST API and deleted afterwards,
so the platform's realm and its keys are never touched; the API is pointed at that realm with
override_settings (issuer and key set URL), and short cache intervals replace long sleeps.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.test import override_settings
from rest_framework.test import APIClient

from infra.stack.config import load_config
from services.auth.authentication import realm_keys
from services.auth.jwks import JwksCache, UnknownKeyId, fetch_json
from tests.conftest import require_component
from tests.faults.proxy import Cut, FaultProxy
from tests.security.keycloak_realm import Realm, create_realm, delete_realm, kid_of
from tests.security.surface import HOSTILE, acceptance
from tests.services.test_auth_tokens import JWK, Clock, FakeKeycloak
from tests.waiting import wait_until

# Long enough that a test's few calls fall inside it, short enough to wait out after a rotation.
ROTATION_CACHE_SECONDS = 3


@pytest.fixture(scope="module")
def realm() -> Iterator[Realm]:
    require_component("keycloak")
    require_component("postgres")
    created = create_realm()
    try:
        yield created
    finally:
        delete_realm(created)


@pytest.fixture(autouse=True)
def _own_key_cache() -> Iterator[None]:
    """Neither take the platform realm's cached keys in nor leave this realm's behind."""
    realm_keys.cache_clear()
    yield
    realm_keys.cache_clear()


def _keycloak(realm: Realm, jwks_url: str, *, cache_seconds: int,
              min_refresh_seconds: int) -> dict[str, Any]:
    return {**settings.KEYCLOAK, "ISSUER": realm.issuer, "JWKS_URL": jwks_url,
            "JWKS_CACHE_SECONDS": cache_seconds, "JWKS_MIN_REFRESH_SECONDS": min_refresh_seconds}


def _me(token: str) -> Any:
    return APIClient().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")


def _forged(token: str) -> str:
    """The same claims, signed by a key of our own under a key id the realm never published."""
    claims = jwt.decode(token, options={"verify_signature": False})
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "not-a-realm-key"})


def test_a_failed_fetch_backs_off_instead_of_retrying_on_every_request() -> None:
    """Pure logic: once the cache has expired and Keycloak is away, one attempt per interval."""
    keycloak, clock = FakeKeycloak(JWK), Clock()
    cache = JwksCache("mem://", fetch=keycloak, cache_seconds=60, min_refresh_seconds=30,
                      clock=clock)
    cache.key_for("key-1")
    keycloak.down = True
    clock.now += 61
    for _ in range(20):
        assert cache.key_for("key-1").key_id == "key-1"
    with pytest.raises(UnknownKeyId):
        cache.key_for("another")
    assert keycloak.calls == 2  # the first fetch and one failed attempt
    keycloak.down = False
    clock.now += 31
    cache.key_for("key-1")
    assert (keycloak.calls, cache.fetch_count) == (3, 2)


@pytest.mark.integration
@pytest.mark.django_db
def test_cached_keys_answer_while_the_key_set_is_unreachable(realm: Realm) -> None:
    cfg = load_config()
    with FaultProxy(cfg.host, cfg.keycloak_port) as proxy, override_settings(KEYCLOAK=_keycloak(
            realm, f"http://{proxy.address}{realm.jwks_path}", cache_seconds=0,
            min_refresh_seconds=60)):
        token = realm.token()
        for _ in range(2):
            answer = _me(token)
            assert answer.status_code == 200, answer.content
        assert answer.json()["tenant"] == "AL"
        assert realm_keys().fetch_count == 2  # a cache of 0 s: each request refreshes

        # A firewall that drops packets: the fetch hangs until its timeout, once; then the
        # trusted keys answer without asking again until the interval has passed.
        proxy.cut(Cut.BLACKHOLE)
        for _ in range(5):
            answer = _me(token)
            assert answer.status_code == 200, answer.content
        assert proxy.stats().blackholed == 1
        assert realm_keys().fetch_count == 2

        refused = _me(_forged(token))
        HOSTILE.count(let_through=acceptance(refused))
        assert refused.status_code == 401, refused.content
        assert "unknown key" in refused.json()["error"]["message"]
        assert proxy.stats().blackholed == 1  # an unknown key id does not make it try again


@pytest.mark.integration
@pytest.mark.django_db
def test_a_rotated_key_is_followed_and_a_disabled_one_refused(realm: Realm) -> None:
    jwks_url = f"{load_config().keycloak_url}{realm.jwks_path}"
    with override_settings(KEYCLOAK=_keycloak(realm, jwks_url,
                                              cache_seconds=ROTATION_CACHE_SECONDS,
                                              min_refresh_seconds=0)):
        old_token = realm.token()
        old_kid = kid_of(old_token)
        assert _me(old_token).status_code == 200

        priority = 1 + max(int(p["config"]["priority"][0]) for p in realm.rsa_providers())
        new_kid = realm.add_rsa_key(priority=priority)
        assert new_kid != old_kid
        new_token = realm.token()
        assert kid_of(new_token) == new_kid
        fetched = realm_keys().fetch_count
        answer = _me(new_token)
        assert answer.status_code == 200, answer.content
        assert realm_keys().fetch_count == fetched + 1  # one refresh, for the unknown kid
        # Both keys are published while the old one's tokens may still be in use.
        assert _me(old_token).status_code == 200

        realm.disable_key(old_kid)
        wait_until(lambda: _me(old_token).status_code == 401, seconds=30, interval=0.5,
                   failure=lambda: "a token of the disabled key was still accepted after "
                                   f"the key set was refreshed: {_me(old_token).content!r}")
        refused = _me(old_token)
        HOSTILE.count(let_through=acceptance(refused))
        assert "unknown key" in refused.json()["error"]["message"], refused.content
        answer = _me(new_token)
        assert answer.status_code == 200, answer.content
    published = {key["kid"] for key in fetch_json(jwks_url)["keys"]}
    assert old_kid not in published and new_kid in published
