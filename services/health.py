"""`/healthz` (the process answers) and `/readyz` (every dependency answers)."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.db import connections, transaction
from django.http import HttpRequest, JsonResponse

from services.auth.authentication import realm_keys


def _postgres() -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")


def _kafka() -> None:
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(
        bootstrap_servers=settings.KAFKA["BOOTSTRAP_SERVERS"], request_timeout_ms=3000
    )
    try:
        admin.list_topics()
    finally:
        admin.close()


def _clickhouse() -> None:
    from clickhouse_driver import Client

    conf = settings.CLICKHOUSE
    Client(
        host=conf["HOST"], port=conf["PORT"], user=conf["USER"], password=conf["PASSWORD"],
        connect_timeout=2, send_receive_timeout=5,
    ).execute("SELECT 1")


def _keycloak_keys() -> None:
    if realm_keys().warm() == 0:
        raise RuntimeError("the realm publishes no RS256 signing key")


CHECKS: dict[str, Callable[[], None]] = {
    "postgres": _postgres,
    "kafka": _kafka,
    "clickhouse": _clickhouse,
    "keycloak_jwks": _keycloak_keys,
}


@transaction.non_atomic_requests
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process is up and serving."""
    return JsonResponse({"status": "ok"})


@transaction.non_atomic_requests
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: 200 when every dependency answers, else 503 naming the ones that do not."""
    results: dict[str, dict[str, object]] = {}
    for name, check in CHECKS.items():
        started = time.monotonic()
        try:
            check()
        except Exception as exc:  # noqa: BLE001 - any failure makes the dependency not ready
            results[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
        else:
            results[name] = {"ok": True, "ms": round((time.monotonic() - started) * 1000, 1)}
    ready = all(bool(r["ok"]) for r in results.values())
    return JsonResponse(
        {"status": "ready" if ready else "not ready", "checks": results},
        status=200 if ready else 503,
    )
