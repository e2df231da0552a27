"""Getting real tokens from the running Keycloak for tests."""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from typing import Any

from rest_framework.test import APIClient

from infra.stack.config import load_config
from services.demo.loader import DEV_CLIENT, DEV_PASSWORD


def _post_form(url: str, form: dict[str, str]) -> dict[str, Any]:
    data = urllib.parse.urlencode(form).encode()
    request = urllib.request.Request(url, data=data, method="POST")  # noqa: S310 - loopback
    with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310 - loopback
        result: dict[str, Any] = json.loads(response.read())
    return result


def token_response(username: str, *, realm: str = "msc", client_id: str = DEV_CLIENT,
                   password: str = DEV_PASSWORD, scope: str = "openid") -> dict[str, Any]:
    """The token endpoint's answer to a password grant."""
    url = f"{load_config().keycloak_url}/realms/{realm}/protocol/openid-connect/token"
    return _post_form(url, {"grant_type": "password", "client_id": client_id,
                            "username": username, "password": password, "scope": scope})


def access_token(username: str, **kwargs: Any) -> str:
    return str(token_response(username, **kwargs)["access_token"])


def admin_token() -> str:
    """A master-realm token of the bootstrap admin (dev password from the stack config)."""
    cfg = load_config()
    return access_token("admin", realm="master", client_id="admin-cli",
                        password=cfg.keycloak_admin_password)


def admin_request(method: str, path: str, body: Any = None) -> Any:
    """Call Keycloak's admin REST API of realm msc."""
    url = f"{load_config().keycloak_url}/admin/realms/msc{path}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - loopback
    request.add_header("Authorization", f"Bearer {admin_token()}")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310 - loopback
        raw = response.read()
    return json.loads(raw) if raw else None


# Tokens live 300 s in the realm; a cached one is renewed well before it expires.
TOKEN_REUSE_SECONDS = 240.0
_TOKENS: dict[str, tuple[str, float]] = {}


def as_user(username: str) -> APIClient:
    """An in-process API client carrying a real, unexpired access token of `username`."""
    cached = _TOKENS.get(username)
    if cached is None or time.monotonic() - cached[1] > TOKEN_REUSE_SECONDS:
        _TOKENS[username] = cached = (access_token(username), time.monotonic())
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {cached[0]}")
    return client
