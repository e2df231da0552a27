"""Where the native stack lives and which loopback ports it uses.

Every value can be changed with an environment variable; the defaults avoid the usual ports of
PostgreSQL, Kafka, ClickHouse and Keycloak so that a developer's own servers never clash with ours.
The same variables are read by the Django settings and by `docker-compose.yml`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

KAFKA_VERSION = "3.9.1"
SCALA_VERSION = "2.13"
KEYCLOAK_VERSION = "26.4.7"
POSTGRES_MAJOR = "15"


def _default_home() -> Path:
    # PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user and
    # its data directory must not sit below /root (mode 700).
    if os.geteuid() == 0:
        return Path("/var/lib/msc")
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "msc"


def _default_cache() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "msc"


def _port(name: str, default: int) -> int:
    raw = os.environ.get(name, str(default))
    try:
        port = int(raw)
    except ValueError as exc:
        raise SystemExit(f"{name}={raw!r} is not a port number") from exc
    if not 1 <= port <= 65535:
        raise SystemExit(f"{name}={port} is outside 1-65535")
    return port


@dataclass(frozen=True)
class StackConfig:
    """Ports, directories and credentials of the local stack."""

    host: str
    home: Path
    cache: Path
    postgres_port: int
    kafka_port: int
    kafka_controller_port: int
    clickhouse_port: int
    clickhouse_http_port: int
    keycloak_port: int
    keycloak_management_port: int
    api_port: int
    postgres_superuser_password: str
    postgres_owner: str
    postgres_owner_password: str
    postgres_app_user: str
    postgres_app_password: str
    postgres_relay_user: str
    postgres_relay_password: str
    postgres_database: str
    keycloak_admin_password: str

    @property
    def run_dir(self) -> Path:
        """Pid files of the processes `msc stack up` started."""
        return self.home / "run"

    @property
    def log_dir(self) -> Path:
        return self.home / "logs"

    @property
    def keycloak_url(self) -> str:
        return f"http://{self.host}:{self.keycloak_port}"

    @property
    def kafka_bootstrap(self) -> str:
        return f"{self.host}:{self.kafka_port}"


def load_config() -> StackConfig:
    """Read the stack configuration from the environment."""
    env = os.environ.get
    return StackConfig(
        host=env("MSC_HOST", "127.0.0.1"),
        home=Path(env("MSC_HOME", str(_default_home()))),
        cache=Path(env("MSC_CACHE", str(_default_cache()))),
        postgres_port=_port("MSC_PG_PORT", 55432),
        kafka_port=_port("MSC_KAFKA_PORT", 19092),
        kafka_controller_port=_port("MSC_KAFKA_CONTROLLER_PORT", 19093),
        clickhouse_port=_port("MSC_CLICKHOUSE_PORT", 19000),
        clickhouse_http_port=_port("MSC_CLICKHOUSE_HTTP_PORT", 18123),
        keycloak_port=_port("MSC_KEYCLOAK_PORT", 18080),
        keycloak_management_port=_port("MSC_KEYCLOAK_MANAGEMENT_PORT", 18081),
        api_port=_port("MSC_API_PORT", 8000),
        # Development defaults only: production sets every secret through the environment.
        postgres_superuser_password=env("MSC_PG_SUPERUSER_PASSWORD", "msc-dev-superuser"),
        postgres_owner=env("MSC_PG_OWNER", "msc_owner"),
        postgres_owner_password=env("MSC_PG_OWNER_PASSWORD", "msc-dev-owner"),
        postgres_app_user=env("MSC_PG_APP_USER", "msc_app"),
        postgres_app_password=env("MSC_PG_APP_PASSWORD", "msc-dev-app"),
        postgres_relay_user=env("MSC_PG_RELAY_USER", "msc_relay"),
        postgres_relay_password=env("MSC_PG_RELAY_PASSWORD", "msc-dev-relay"),
        postgres_database=env("MSC_PG_DATABASE", "msc"),
        keycloak_admin_password=env("MSC_KEYCLOAK_ADMIN_PASSWORD", "msc-dev-admin"),
    )
