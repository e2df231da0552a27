"""docker-compose.yml cannot run here, so its agreement with the native stack is checked as data."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.stack.config import KAFKA_VERSION, KEYCLOAK_VERSION, load_config

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
_PUBLISHED = re.compile(r"^127\.0\.0\.1:\$\{(MSC_[A-Z_]+):-(\d+)\}:(\d+)$")


def _published(service: str) -> dict[str, int]:
    """Variable name -> default host port, for each port the service publishes."""
    result = {}
    for mapping in SERVICES[service].get("ports", []):
        match = _PUBLISHED.match(mapping)
        assert match, f"{service}: port {mapping!r} must be 127.0.0.1:${{MSC_..:-N}}:M"
        result[match.group(1)] = int(match.group(2))
    return result


def test_every_service_is_described() -> None:
    assert set(SERVICES) >= {"postgres", "kafka", "clickhouse", "keycloak", "api",
                             "outbox-relay", "stream-worker"}


@pytest.fixture
def native(monkeypatch: pytest.MonkeyPatch) -> Any:
    for name in list(__import__("os").environ):
        if name.startswith("MSC_") and name.endswith("_PORT"):
            monkeypatch.delenv(name)
    return load_config()


def test_published_ports_match_the_native_stack(native: Any) -> None:
    expected = {
        "postgres": {"MSC_PG_PORT": native.postgres_port},
        "kafka": {"MSC_KAFKA_PORT": native.kafka_port},
        "clickhouse": {"MSC_CLICKHOUSE_PORT": native.clickhouse_port,
                       "MSC_CLICKHOUSE_HTTP_PORT": native.clickhouse_http_port},
        "keycloak": {"MSC_KEYCLOAK_PORT": native.keycloak_port,
                     "MSC_KEYCLOAK_MANAGEMENT_PORT": native.keycloak_management_port},
        "api": {"MSC_API_PORT": native.api_port},
    }
    for service, ports in expected.items():
        assert _published(service) == ports, service


def test_versions_and_realm_match(native: Any) -> None:
    assert SERVICES["kafka"]["image"] == f"apache/kafka:{KAFKA_VERSION}"
    assert SERVICES["keycloak"]["image"].endswith(f"keycloak:{KEYCLOAK_VERSION}")
    assert SERVICES["postgres"]["image"] == "postgres:15"
    mounts = SERVICES["keycloak"]["volumes"]
    assert any(m.startswith("./infra/keycloak/realm-msc.json:/opt/keycloak/data/import/")
               for m in mounts)
    assert (ROOT / "infra/keycloak/realm-msc.json").exists()
    assert SERVICES["postgres"]["environment"]["POSTGRES_PASSWORD"] == (
        native.postgres_superuser_password)


def test_every_msc_variable_in_compose_is_read_by_the_code() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    used = set(re.findall(r"\b(MSC_[A-Z0-9_]+)\b", text))
    sources = "\n".join(
        path.read_text() for folder in ("services", "infra", "analytics_stream", "intake")
        for path in (ROOT / folder).rglob("*.py")
    )
    unread = sorted(name for name in used if f'"{name}"' not in sources)
    assert unread == [], f"compose sets variables no code reads: {unread}"


def test_platform_services_run_the_msc_commands() -> None:
    assert SERVICES["api"]["command"] == ["msc", "serve"]
    assert SERVICES["outbox-relay"]["command"] == ["msc", "relay"]
    assert SERVICES["stream-worker"]["command"] == ["msc", "stream"]
