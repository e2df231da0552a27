"""DRF authentication: a Keycloak bearer token in, a Principal and the tenant's context out."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.core.signals import setting_changed
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from services.auth.jwks import JwksCache
from services.auth.tokens import InvalidToken, Principal, validate_access_token
from services.conf import keycloak_settings
from services.tenancy.context import activate_tenant


@lru_cache(maxsize=1)
def realm_keys() -> JwksCache:
    """The process-wide key cache for the configured realm."""
    conf = keycloak_settings()
    return JwksCache(
        conf["JWKS_URL"],
        cache_seconds=conf["JWKS_CACHE_SECONDS"],
        min_refresh_seconds=conf["JWKS_MIN_REFRESH_SECONDS"],
    )


def _keycloak_setting_changed(*, setting: str, **kwargs: Any) -> None:
    """A changed KEYCLOAK setting (tests' override_settings) gets a key cache of its own."""
    if setting == "KEYCLOAK":
        realm_keys.cache_clear()


setting_changed.connect(_keycloak_setting_changed)


class KeycloakJWTAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <access token>`, validated locally, no Keycloak call per request."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Principal, str] | None:
        header = authentication.get_authorization_header(request).split()
        if not header:
            return None
        if header[0].decode("latin-1").lower() != self.keyword.lower():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Authorization header must be 'Bearer <token>'")
        try:
            token = header[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("token is not ASCII") from exc
        conf = keycloak_settings()
        try:
            principal = validate_access_token(
                token,
                jwks=realm_keys(),
                issuer=conf["ISSUER"],
                audience=conf["AUDIENCE"],
                leeway_seconds=conf["LEEWAY_SECONDS"],
            )
        except InvalidToken as exc:
            raise exceptions.AuthenticationFailed(str(exc)) from exc
        # The request's transaction now sees only this tenant's rows (none for regional users).
        activate_tenant(principal.tenant)
        return principal, token

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="msc"'
