"""A throw-away Keycloak realm for tests that change a realm's keys: the platform's realm `msc`
is never touched, and the realm is deleted afterwards."""

from __future__ import annotations

import json
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Any

import jwt

from infra.stack.config import load_config
from tests.integration.keycloak_helpers import access_token, admin_token

KEY_PROVIDER_TYPE = "org.keycloak.keys.KeyProvider"
CLIENT_ID = "msc-rotation-test"
USERNAME = "rotation.counsellor"
PASSWORD = "rotation-dev-password"  # a throw-away realm's only user


def admin(method: str, path: str, body: Any = None) -> Any:
    """Keycloak's admin REST API under /admin/realms (the master realm's bootstrap admin)."""
    url = f"{load_config().keycloak_url}/admin/realms{path}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - loopback
    request.add_header("Authorization", f"Bearer {admin_token()}")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
        raw = response.read()
    return json.loads(raw) if raw else None


@dataclass(frozen=True)
class Realm:
    name: str

    @property
    def issuer(self) -> str:
        return f"{load_config().keycloak_url}/realms/{self.name}"

    @property
    def jwks_path(self) -> str:
        return f"/realms/{self.name}/protocol/openid-connect/certs"

    def token(self) -> str:
        """A fresh access token of the realm's user (tenant AL, audience msc-api)."""
        return access_token(USERNAME, realm=self.name, client_id=CLIENT_ID, password=PASSWORD)

    def rsa_providers(self) -> list[dict[str, Any]]:
        providers: list[dict[str, Any]] = admin(
            "GET", f"/{self.name}/components?type={KEY_PROVIDER_TYPE}")
        return [p for p in providers if p["providerId"] == "rsa-generated"]

    def signing_kid(self) -> str:
        """The key id Keycloak signs access tokens with now (its active RS256 key)."""
        keys = admin("GET", f"/{self.name}/keys")
        return str(keys["active"]["RS256"])

    def add_rsa_key(self, *, priority: int) -> str:
        """A new generated RSA signing key; Keycloak signs with the highest priority. Its id."""
        realm_id = admin("GET", f"/{self.name}")["id"]
        admin("POST", f"/{self.name}/components", {
            "name": f"rotated-{uuid.uuid4().hex[:6]}", "providerId": "rsa-generated",
            "providerType": KEY_PROVIDER_TYPE, "parentId": realm_id,
            "config": {"priority": [str(priority)], "keySize": ["2048"], "algorithm": ["RS256"],
                       "active": ["true"], "enabled": ["true"]}})
        return self.signing_kid()

    def disable_key(self, kid: str) -> None:
        """Disable the provider of key `kid`: Keycloak stops publishing it in the key set."""
        keys = admin("GET", f"/{self.name}/keys")["keys"]
        provider_id = next(k["providerId"] for k in keys if k["kid"] == kid)
        provider = admin("GET", f"/{self.name}/components/{provider_id}")
        provider["config"]["enabled"] = ["false"]
        admin("PUT", f"/{self.name}/components/{provider_id}", provider)


def create_realm() -> Realm:
    """A realm with one public client (audience msc-api, hard-coded tenant AL) and one user."""
    realm = Realm(f"msc-test-{uuid.uuid4().hex[:10]}")
    claim = {"access.token.claim": "true", "id.token.claim": "false",
             "userinfo.token.claim": "false"}
    admin("POST", "", {
        "realm": realm.name, "enabled": True, "accessTokenLifespan": 300,
        "clients": [{
            "clientId": CLIENT_ID, "publicClient": True, "directAccessGrantsEnabled": True,
            "standardFlowEnabled": False,
            "protocolMappers": [
                {"name": "audience", "protocol": "openid-connect",
                 "protocolMapper": "oidc-audience-mapper",
                 "config": {"included.custom.audience": "msc-api", **claim}},
                {"name": "tenant", "protocol": "openid-connect",
                 "protocolMapper": "oidc-hardcoded-claim-mapper",
                 "config": {"claim.name": "tenant", "claim.value": "AL",
                            "jsonType.label": "String", **claim}}]}],
        "users": [{
            "username": USERNAME, "enabled": True, "emailVerified": True,
            "email": f"{USERNAME}@example.org", "firstName": "Rotation", "lastName": "Test",
            "credentials": [{"type": "password", "value": PASSWORD, "temporary": False}]}],
    })
    return realm


def delete_realm(realm: Realm) -> None:
    admin("DELETE", f"/{realm.name}")


def kid_of(token: str) -> str:
    return str(jwt.get_unverified_header(token)["kid"])
