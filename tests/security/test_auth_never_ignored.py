"""Authentication is never skipped: every operation of the OpenAPI schema, called with each kind
of credential the API must refuse, answers 401 in the platform's error format with a Bearer
challenge, for the reason that credential deserves, and changes nothing, although each write
carries a body and an If-Match that a valid token would have had accepted.

The refused credentials: none, another scheme, a malformed token, an expired one, tokens of two
other realms (Keycloak's master realm, and a throw-away realm that issues msc-api tokens with a
tenant claim, so only the signing keys and issuer differ), an ID token instead of an access
token, and the counsellor's own token with `alg: none` or with a changed tenant claim.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import jwt
import pytest
from django.conf import settings
from django.test import override_settings
from rest_framework.test import APIClient

from tests.conftest import require_component
from tests.integration.keycloak_helpers import (
    access_token,
    admin_request,
    admin_token,
    token_response,
)
from tests.security.keycloak_realm import create_realm, delete_realm
from tests.security.surface import HOSTILE, WRITES, World, acceptance, operations, snapshot
from tests.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

# Each refused credential, and the reason the API must give for it.
REASONS = {
    "none": "credentials were not provided",
    "another scheme": "credentials were not provided",
    "malformed": "malformed token",
    "expired": "expired",
    "master realm": "unknown key",
    "look-alike realm": "unknown key",
    "ID token": "audience",
    "alg none": "algorithm 'none'",
    "changed tenant": "invalid token",
}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _expired_token() -> str:
    """A counsellor's access token from a client whose tokens live two seconds, once expired."""
    template = admin_request("GET", "/clients?clientId=msc-cli-dev")[0]
    client_id = f"test-expiring-{uuid.uuid4().hex[:8]}"
    admin_request("POST", "/clients", {
        "clientId": client_id, "publicClient": True, "directAccessGrantsEnabled": True,
        "standardFlowEnabled": False, "attributes": {"access.token.lifespan": "2"},
        "protocolMappers": [{k: v for k, v in m.items() if k != "id"}
                            for m in template.get("protocolMappers", [])],
        "defaultClientScopes": template["defaultClientScopes"]})
    created = admin_request("GET", f"/clients?clientId={client_id}")[0]
    try:
        token = access_token("counsellor.al", client_id=client_id)
    finally:
        admin_request("DELETE", f"/clients/{created['id']}")
    expires = jwt.decode(token, options={"verify_signature": False})["exp"]
    wait_until(lambda: time.time() > expires + 1.0, seconds=30.0,
               failure=lambda: f"the token expiring at {expires} did not expire")
    return token


def _look_alike_token() -> str:
    """A token of another realm with the audience and tenant claim of the platform's own."""
    realm = create_realm()
    try:
        return realm.token()
    finally:
        delete_realm(realm)


def _forged(header: dict[str, Any], claims: dict[str, Any], signature: str) -> str:
    return (f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
            f".{signature}")


@pytest.fixture(scope="module")
def credentials() -> dict[str, str | None]:
    """The Authorization header of each refused credential (None: no header at all)."""
    require_component("keycloak")
    real = access_token("counsellor.al")
    header_b64, _, signature = real.split(".")
    claims = jwt.decode(real, options={"verify_signature": False})
    return {
        "none": None,
        "another scheme": "Basic " + base64.b64encode(b"counsellor.al:msc-dev-password").decode(),
        "malformed": "Bearer not.a.token",
        "expired": f"Bearer {_expired_token()}",
        "master realm": f"Bearer {admin_token()}",
        "look-alike realm": f"Bearer {_look_alike_token()}",
        "ID token": f"Bearer {token_response('counsellor.al')['id_token']}",
        "alg none": "Bearer " + _forged({"alg": "none", "typ": "JWT"}, claims, ""),
        "changed tenant": (f"Bearer {header_b64}."
                           f"{_b64(json.dumps({**claims, 'tenant': 'RS'}).encode())}"
                           f".{signature}"),
    }



@pytest.mark.parametrize("kind", sorted(REASONS))
def test_every_operation_refuses(kind: str, credentials: dict[str, str | None],
                                 world: World) -> None:
    header = credentials[kind]
    before = snapshot()
    # No leeway, so the expired token is refused for its expiry alone.
    with override_settings(KEYCLOAK={**settings.KEYCLOAK, "LEEWAY_SECONDS": 0}):
        for method, path in operations():
            write = WRITES.get((method, path))
            body = write.body(world, {}) if write else {}
            extra: dict[str, str] = {"HTTP_IF_MATCH": '"1"'} if method in ("patch", "put") else {}
            if header is not None:
                extra["HTTP_AUTHORIZATION"] = header
            response = getattr(APIClient(), method)(path.format(**world.ids), body,
                                                    format="json", **extra)
            HOSTILE.count(let_through=acceptance(response))
            where = f"{kind}: {method.upper()} {path}: {response.status_code}"
            assert response.status_code == 401, f"{where} {response.content[:200]!r}"
            error = response.json()["error"]
            assert error["status"] == 401 and REASONS[kind] in error["message"], (where, error)
            assert response["WWW-Authenticate"].startswith("Bearer"), where
    assert snapshot() == before, f"{kind}: a refused call changed data"
