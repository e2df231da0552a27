"""`GET /api/v1/me` with real tokens from the running Keycloak, and the tokens it must refuse."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from django.conf import settings
from django.test import override_settings
from rest_framework.test import APIClient

from services.auth.authentication import realm_keys
from tests.conftest import require_component
from tests.integration.keycloak_helpers import (
    access_token,
    admin_request,
    token_response,
)
from tests.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def keycloak() -> None:
    require_component("keycloak")
    require_component("postgres")


def _me(token: str) -> Any:
    client = APIClient()
    return client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _forge(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    return f"{signing_input}.{_b64(signature)}"


def _assert_401(response: Any, reason: str) -> None:
    assert response.status_code == 401, response.content
    body = response.json()
    assert body["error"]["status"] == 401
    assert reason in body["error"]["message"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_counsellor_of_al_is_known_with_tenant_and_role() -> None:
    response = _me(access_token("counsellor.al"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["tenant"] == "AL"
    assert body["roles"] == ["counsellor"]
    assert body["username"] == "counsellor.al"


def test_partner_carries_institution_and_regional_monitor_no_tenant() -> None:
    partner = _me(access_token("partner.rs")).json()
    assert (partner["tenant"], partner["roles"], partner["institution"]) == (
        "RS", ["partner"], "rs-inst-1")
    monitor = _me(access_token("regional.monitor")).json()
    assert (monitor["tenant"], monitor["roles"]) == (None, ["regional_monitor"])


def test_missing_token_is_401_with_json_error() -> None:
    response = APIClient().get("/api/v1/me")
    _assert_401(response, "credentials were not provided")


def test_token_of_another_realm_is_401() -> None:
    from tests.integration.keycloak_helpers import admin_token

    _assert_401(_me(admin_token()), "unknown key")


def test_hs256_signed_with_the_public_key_is_401() -> None:
    real = access_token("counsellor.al")
    header = jwt.get_unverified_header(real)
    claims = jwt.decode(real, options={"verify_signature": False})
    public_pem = realm_keys().key_for(header["kid"]).key.public_bytes(
        encoding=__import__("cryptography.hazmat.primitives.serialization",
                            fromlist=["Encoding"]).Encoding.PEM,
        format=__import__("cryptography.hazmat.primitives.serialization",
                          fromlist=["PublicFormat"]).PublicFormat.SubjectPublicKeyInfo,
    )
    forged_header = {"alg": "HS256", "typ": "JWT", "kid": header["kid"]}
    unsigned = _forge(forged_header, claims).rsplit(".", 1)[0]
    signature = hmac.new(public_pem, unsigned.encode(), hashlib.sha256).digest()
    _assert_401(_me(f"{unsigned}.{_b64(signature)}"), "algorithm 'HS256' is not accepted")


def test_alg_none_is_401() -> None:
    claims = jwt.decode(access_token("counsellor.al"), options={"verify_signature": False})
    _assert_401(_me(_forge({"alg": "none", "typ": "JWT"}, claims)), "algorithm 'none'")


def test_tampered_claims_fail_the_signature() -> None:
    real = access_token("counsellor.al")
    header_b64, _, signature = real.split(".")
    claims = jwt.decode(real, options={"verify_signature": False})
    claims["tenant"] = "RS"
    tampered = f"{header_b64}.{_b64(json.dumps(claims).encode())}.{signature}"
    _assert_401(_me(tampered), "invalid token")


def test_wrong_audience_is_401() -> None:
    token = access_token("counsellor.al")
    with override_settings(KEYCLOAK={**settings.KEYCLOAK, "AUDIENCE": "another-api"}):
        _assert_401(_me(token), "audience")


def test_id_token_used_as_bearer_is_401() -> None:
    id_token = token_response("counsellor.al")["id_token"]
    _assert_401(_me(id_token), "audience")


@pytest.fixture
def short_lived_client() -> Iterator[str]:
    """A temporary client of the realm whose access tokens live ten seconds.

    Keycloak truncates `iat` to the second, so a one-second token may already be
    expired when it arrives on a slow, busy machine; ten seconds leave room for
    the first, valid call."""
    template = next(c for c in admin_request("GET", "/clients?clientId=msc-cli-dev"))
    client_id = f"test-short-{uuid.uuid4().hex[:8]}"
    mappers = [{k: v for k, v in m.items() if k != "id"}
               for m in template.get("protocolMappers", [])]
    admin_request("POST", "/clients", {
        "clientId": client_id, "publicClient": True, "directAccessGrantsEnabled": True,
        "standardFlowEnabled": False, "attributes": {"access.token.lifespan": "10"},
        "protocolMappers": mappers, "defaultClientScopes": template["defaultClientScopes"],
    })
    created = admin_request("GET", f"/clients?clientId={client_id}")[0]
    try:
        yield client_id
    finally:
        admin_request("DELETE", f"/clients/{created['id']}")


def test_expired_token_is_401(short_lived_client: str) -> None:
    token = access_token("counsellor.al", client_id=short_lived_client)
    with override_settings(KEYCLOAK={**settings.KEYCLOAK, "LEEWAY_SECONDS": 0}):
        assert _me(token).status_code == 200  # valid while it lives: the check is the clock
        wait_until(lambda: _me(token).status_code != 200, seconds=30, interval=0.2,
                   failure=lambda: "the token is still accepted long after its exp")
        _assert_401(_me(token), "expired")


def test_no_call_to_keycloak_per_request() -> None:
    token = access_token("counsellor.al")
    assert _me(token).status_code == 200
    fetches = realm_keys().fetch_count
    for _ in range(20):
        assert _me(token).status_code == 200
    assert realm_keys().fetch_count == fetches
