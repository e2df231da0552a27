"""The API under gunicorn (`msc serve --daemon`) answers health, readiness and `/me` for real."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require_component
from tests.integration.keycloak_helpers import access_token

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str, token: str | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(url)  # noqa: S310 - loopback
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture(scope="module")
def api(django_db_setup: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    for component in ("postgres", "kafka", "clickhouse", "keycloak"):
        require_component(component)
    port = _free_port()
    env = {**os.environ, "MSC_API_PORT": str(port), "DJANGO_SETTINGS_MODULE":
           "services.settings.test", "MSC_HOME": str(tmp_path_factory.mktemp("api-home"))}
    command = [sys.executable, "-m", "services.cli"]
    done = subprocess.run([*command, "serve", "--daemon", "--workers", "2"], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    log = Path(env["MSC_HOME"]) / "logs" / "api.log"
    api_log = log.read_text() if log.exists() else ""
    assert done.returncode == 0, done.stdout + done.stderr + api_log
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        subprocess.run([*command, "stack", "down"], env=env, capture_output=True, timeout=120,
                       check=False)


def test_healthz(api: str) -> None:
    assert _get(f"{api}/healthz") == (200, {"status": "ok"})


def test_readyz_checks_every_dependency(api: str) -> None:
    status, body = _get(f"{api}/readyz")
    assert status == 200, body
    assert set(body["checks"]) == {"postgres", "kafka", "clickhouse", "keycloak_jwks"}
    assert all(check["ok"] for check in body["checks"].values())


def test_me_through_gunicorn(api: str) -> None:
    status, body = _get(f"{api}/api/v1/me", access_token("manager.mk"))
    assert status == 200, body
    assert (body["tenant"], body["roles"]) == ("MK", ["centre_manager"])


def test_bad_token_through_gunicorn_is_401_json(api: str) -> None:
    status, body = _get(f"{api}/api/v1/me", "not-a-token")
    assert status == 401
    assert body["error"]["code"] == "authentication_failed"
