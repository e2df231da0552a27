"""Validation of Keycloak access tokens, and the principal they describe.

Checks: algorithm pinned to RS256 (so neither `none` nor an HMAC signed with the public key can
pass), signature by a realm key, exact issuer, audience containing the API client, `exp`/`iat`
required, `typ` = Bearer (an ID token is not an access token), a known tenant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import jwt

from services.auth.jwks import JwksCache, KeySetUnavailable, UnknownKeyId
from services.tenancy.models import TENANT_CODES

ALGORITHM = "RS256"
_KID = re.compile(r"^[A-Za-z0-9_\-]{1,128}$")


class Role:
    """Client roles of the API client in the realm."""

    COUNSELLOR = "counsellor"
    CENTRE_MANAGER = "centre_manager"
    TENANT_ADMIN = "tenant_admin"
    PARTNER = "partner"
    REGIONAL_MONITOR = "regional_monitor"

    ALL: frozenset[str] = frozenset(
        {COUNSELLOR, CENTRE_MANAGER, TENANT_ADMIN, PARTNER, REGIONAL_MONITOR}
    )


class InvalidToken(Exception):
    """The token must not be accepted; the message says why (safe to show the caller)."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: from a validated token, never from the request body."""

    subject: str
    username: str
    tenant: str | None
    roles: frozenset[str]
    institution: str | None = None
    client_id: str | None = None
    claims: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    # DRF's permission classes look at `request.user.is_authenticated`.
    is_authenticated = True
    is_anonymous = False

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


def _audience_contains(claims: dict[str, Any], audience: str) -> bool:
    aud = claims.get("aud")
    if isinstance(aud, str):
        return aud == audience
    return isinstance(aud, list) and audience in aud


def validate_access_token(
    token: str, *, jwks: JwksCache, issuer: str, audience: str, leeway_seconds: int = 30
) -> Principal:
    """Return the principal of a valid access token or raise InvalidToken."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise InvalidToken("malformed token") from exc
    if header.get("alg") != ALGORITHM:
        raise InvalidToken(f"algorithm {header.get('alg')!r} is not accepted")
    kid = header.get("kid")
    if not isinstance(kid, str) or not _KID.match(kid):
        raise InvalidToken("token has no valid key id")
    try:
        key = jwks.key_for(kid)
    except UnknownKeyId as exc:
        raise InvalidToken("token is signed with an unknown key") from exc
    except KeySetUnavailable as exc:
        raise InvalidToken("signing keys are unavailable") from exc
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key=key.key,
            algorithms=[ALGORITHM],
            issuer=issuer,
            leeway=leeway_seconds,
            options={"require": ["exp", "iat", "iss", "sub"], "verify_aud": False},
        )
    except jwt.ExpiredSignatureError as exc:
        raise InvalidToken("token has expired") from exc
    except jwt.InvalidIssuerError as exc:
        raise InvalidToken("token has the wrong issuer") from exc
    except jwt.ImmatureSignatureError as exc:
        raise InvalidToken("token is not valid yet") from exc
    except jwt.PyJWTError as exc:
        raise InvalidToken(f"invalid token: {exc}") from exc
    # Checked by hand: Keycloak sends `aud` as a string for one audience and a list for several.
    if not _audience_contains(claims, audience):
        raise InvalidToken(f"token audience does not include {audience!r}")
    if claims.get("typ") != "Bearer":
        raise InvalidToken("not an access token")
    return principal_from_claims(claims, audience=audience)


def principal_from_claims(claims: dict[str, Any], *, audience: str) -> Principal:
    """Map validated claims to a principal; unknown roles are ignored, a bad tenant rejected."""
    client_roles = claims.get("resource_access", {}).get(audience, {}).get("roles", [])
    roles = frozenset(r for r in client_roles if isinstance(r, str) and r in Role.ALL)
    tenant = claims.get("tenant")
    if tenant is not None and (not isinstance(tenant, str) or tenant not in TENANT_CODES):
        raise InvalidToken("token names an unknown tenant")
    if tenant is None and roles - {Role.REGIONAL_MONITOR}:
        raise InvalidToken("a tenant role needs a tenant claim")
    institution = claims.get("institution")
    return Principal(
        subject=str(claims["sub"]),
        username=str(claims.get("preferred_username", claims["sub"])),
        tenant=tenant,
        roles=roles,
        institution=institution if isinstance(institution, str) else None,
        client_id=claims.get("azp"),
        claims=claims,
    )
