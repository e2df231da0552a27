"""Network faults between the platform's processes and its components, made by a loopback proxy.

Each test puts `tests.faults.proxy.FaultProxy` between one client and one real component, breaks
the link on purpose (cut, latency, dropped connections, answers held back) and checks what the
architecture promises: the API answers 503 rather than 500 without its database, intake goes on
without Kafka and every event arrives once and in order afterwards, the stream worker holds a
batch unacknowledged while ClickHouse is away and writes it once when it is back, and a send
whose acknowledgement got lost changes no figure.
"""

from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import close_old_connections, connections
from rest_framework.test import APIClient

from intake.models import Centre
from services.tenancy.context import tenant_transaction
from tests.conftest import require_component
from tests.faults.proxy import Cut, FaultProxy
from tests.integration.keycloak_helpers import as_user
from tests.waiting import wait_until

pytestmark = [pytest.mark.integration]

CONSENT = {"given_at": "2026-11-01T08:00:00Z", "scope": "service"}
DEADLINE = 60.0


def _get(client: APIClient, path: str) -> Any:
    """A request as a WSGI server runs it: stale connections are closed when it starts (the test
    client skips that step)."""
    close_old_connections()
    return client.get(path)


def _assert_503(response: Any) -> None:
    assert response.status_code == 503, response.content
    assert response["Retry-After"] == "5"
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": {
        "status": 503, "code": "service_unavailable",
        "message": "the database is unavailable; retry later"}}


# -- PostgreSQL ---------------------------------------------------------------------------------

@pytest.fixture
def database_proxy() -> Iterator[FaultProxy]:
    """The API's own connection (`default`, the application role) goes through a proxy."""
    require_component("postgres")
    require_component("keycloak")
    connection = connections["default"]
    port = connection.settings_dict["PORT"]
    with FaultProxy(str(connection.settings_dict["HOST"]), int(port)) as proxy:
        connection.close()
        connection.settings_dict["PORT"] = str(proxy.port)
        try:
            yield proxy
        finally:
            connection.close()
            connection.settings_dict["PORT"] = port


def _visible_centres(tenant: str) -> tuple[str, int]:
    """(role, centres) as row-level security shows them to `tenant` on the proxied connection:
    raw SQL, so the ORM's tenant filter (the second wall) plays no part."""
    with tenant_transaction(tenant), connections["default"].cursor() as cursor:
        cursor.execute("SELECT current_user, count(*) FROM intake_centre")
        row = cursor.fetchone()
    assert row is not None
    return str(row[0]), int(row[1])


@pytest.mark.django_db(transaction=True)
def test_an_unreachable_database_is_503_with_retry_after_and_200_when_back(
    database_proxy: FaultProxy, caplog: pytest.LogCaptureFixture,
) -> None:
    for tenant, name in (("AL", "Tirana MSC"), ("RS", "Beograd MSC")):
        with tenant_transaction(tenant):
            Centre.objects.create(tenant_id=tenant, name=name, municipality_code="1")
    counsellor = as_user("counsellor.al")
    app_role = settings.DATABASES["default"]["USER"]

    # Through the proxy: the application role, the tenant setting and RLS all work.
    assert _visible_centres("AL") == (app_role, 1)
    answer = _get(counsellor, "/api/v1/centres")
    assert answer.status_code == 200, answer.content
    assert [c["name"] for c in answer.json()["results"]] == ["Tirana MSC"]
    assert database_proxy.stats().accepted >= 2

    caplog.set_level(logging.ERROR, logger="services.api.errors")
    # A connection that breaks under an open request: the first query inside the view fails,
    # DRF's exception handler answers (the test client keeps the connection between requests).
    assert database_proxy.drop_connections() >= 1
    _assert_503(counsellor.get("/api/v1/centres"))
    assert "database unavailable (view)" in caplog.text

    # No database at all: opening the request's transaction fails before any view runs.
    for how in (Cut.REFUSE, Cut.RESET, Cut.BLACKHOLE):  # black hole: until connect_timeout
        database_proxy.cut(how)
        caplog.clear()
        _assert_503(_get(counsellor, "/api/v1/centres"))
        assert "database unavailable (transaction)" in caplog.text, how

    database_proxy.restore()
    answer = _get(counsellor, "/api/v1/centres")
    assert answer.status_code == 200, answer.content
    assert [c["name"] for c in answer.json()["results"]] == ["Tirana MSC"]
    assert _visible_centres("RS") == (app_role, 1)
