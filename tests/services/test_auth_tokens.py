"""Token validation as pure logic: a key pair made here, a key set served from memory."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from services.auth.jwks import JwksCache, KeySetUnavailable
from services.auth.tokens import InvalidToken, Role, validate_access_token

ISSUER = "http://127.0.0.1:18080/realms/msc"
AUDIENCE = "msc-api"


def _key_pair(kid: str) -> tuple[rsa.RSAPrivateKey, dict[str, Any]]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    jwk.update({"kid": kid, "use": "sig", "alg": "RS256"})
    return private, jwk


KEY, JWK = _key_pair("key-1")
OTHER_KEY, OTHER_JWK = _key_pair("key-2")


class FakeKeycloak:
    """Serves a key set and counts how often it is asked."""

    def __init__(self, *jwks: dict[str, Any]) -> None:
        self.keys = list(jwks)
        self.calls = 0
        self.down = False

    def __call__(self, url: str) -> dict[str, Any]:
        self.calls += 1
        if self.down:
            raise KeySetUnavailable("connection refused")
        return {"keys": self.keys}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": ISSUER, "aud": AUDIENCE, "sub": "user-1", "typ": "Bearer", "iat": now,
        "exp": now + 300, "tenant": "AL", "preferred_username": "counsellor.al",
        "resource_access": {AUDIENCE: {"roles": [Role.COUNSELLOR, "unknown-role"]}},
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _sign(claims: dict[str, Any], key: rsa.RSAPrivateKey = KEY, kid: str = "key-1") -> str:
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def _validate(token: str, cache: JwksCache | None = None) -> Any:
    return validate_access_token(
        token, jwks=cache or JwksCache("mem://", fetch=FakeKeycloak(JWK)),
        issuer=ISSUER, audience=AUDIENCE, leeway_seconds=0,
    )


def test_valid_token_gives_principal_with_known_roles_only() -> None:
    principal = _validate(_sign(_claims()))
    assert principal.tenant == "AL"
    assert principal.roles == frozenset({Role.COUNSELLOR})
    assert principal.username == "counsellor.al"


def test_audience_list_is_accepted() -> None:
    assert _validate(_sign(_claims(aud=["account", AUDIENCE]))).tenant == "AL"


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"exp": timedelta(seconds=-10)}, "expired"),
        ({"iat": timedelta(seconds=600)}, "not valid yet"),
        ({"iss": "http://127.0.0.1:18080/realms/other"}, "wrong issuer"),
        ({"aud": "account"}, "audience"),
        ({"aud": None}, "audience"),
        ({"typ": "ID"}, "not an access token"),
        ({"exp": None}, "exp"),
        ({"iat": None}, "iat"),
        ({"tenant": "ZZ"}, "unknown tenant"),
        ({"tenant": None}, "needs a tenant"),
    ],
)
def test_invalid_claims_are_refused(overrides: dict[str, Any], reason: str) -> None:
    # Times are offsets from when the test runs, not from when the module was collected.
    overrides = {name: int(time.time() + value.total_seconds())
                 if isinstance(value, timedelta) else value for name, value in overrides.items()}
    with pytest.raises(InvalidToken, match=reason):
        _validate(_sign(_claims(**overrides)))


def test_regional_monitor_needs_no_tenant() -> None:
    claims = _claims(tenant=None, resource_access={AUDIENCE: {"roles": [Role.REGIONAL_MONITOR]}})
    assert _validate(_sign(claims)).tenant is None


def test_signature_by_another_key_with_a_known_kid_is_refused() -> None:
    with pytest.raises(InvalidToken, match="invalid token"):
        _validate(_sign(_claims(), key=OTHER_KEY, kid="key-1"))


@pytest.mark.parametrize("kid", ["../../etc/passwd", "", "a" * 200])
def test_forged_kid_is_refused_without_fetching(kid: str) -> None:
    keycloak = FakeKeycloak(JWK)
    with pytest.raises(InvalidToken, match="key id"):
        _validate(_sign(_claims(), kid=kid), JwksCache("mem://", fetch=keycloak))
    assert keycloak.calls == 0


def test_unknown_kid_refreshes_at_most_once_per_interval() -> None:
    keycloak, clock = FakeKeycloak(JWK), Clock()
    cache = JwksCache("mem://", fetch=keycloak, min_refresh_seconds=30, clock=clock)
    _validate(_sign(_claims()), cache)
    assert keycloak.calls == 1
    forged = _sign(_claims(), key=OTHER_KEY, kid="key-2")
    clock.now += 31
    for _ in range(50):
        with pytest.raises(InvalidToken, match="unknown key"):
            _validate(forged, cache)
    assert keycloak.calls == 2  # one refresh for the unknown kid, then rate-limited
    keycloak.keys.append(OTHER_JWK)  # Keycloak rotates in a new key
    clock.now += 31
    assert _validate(forged, cache).tenant == "AL"
    assert keycloak.calls == 3


def test_removed_key_is_refused_after_the_cache_expires() -> None:
    keycloak, clock = FakeKeycloak(JWK), Clock()
    cache = JwksCache("mem://", fetch=keycloak, cache_seconds=600, clock=clock)
    token = _sign(_claims())
    _validate(token, cache)
    keycloak.keys = [OTHER_JWK]
    clock.now += 601
    with pytest.raises(InvalidToken, match="unknown key"):
        _validate(token, cache)


def test_cached_keys_keep_working_while_keycloak_is_down() -> None:
    keycloak, clock = FakeKeycloak(JWK), Clock()
    cache = JwksCache("mem://", fetch=keycloak, cache_seconds=600, clock=clock)
    _validate(_sign(_claims()), cache)
    keycloak.down = True
    clock.now += 601
    assert _validate(_sign(_claims()), cache).tenant == "AL"


def test_no_keys_and_keycloak_down_is_refused() -> None:
    keycloak = FakeKeycloak(JWK)
    keycloak.down = True
    with pytest.raises(InvalidToken, match="unavailable"):
        _validate(_sign(_claims()), JwksCache("mem://", fetch=keycloak))


def test_hmac_and_none_algorithms_are_refused_before_any_key_lookup() -> None:
    keycloak = FakeKeycloak(JWK)
    cache = JwksCache("mem://", fetch=keycloak)
    hs = jwt.encode(_claims(), "s" * 32, algorithm="HS256", headers={"kid": "key-1"})
    # PyJWT signs `none` only with no key; its type hints do not admit None.
    none = jwt.encode(_claims(), None, algorithm="none")  # type: ignore[arg-type]
    for token, alg in ((hs, "HS256"), (none, "none")):
        with pytest.raises(InvalidToken, match=f"algorithm '{alg}'"):
            _validate(token, cache)
    assert keycloak.calls == 0
