"""`msc demo-data`'s loader: a plan through the public API, every record once, twice idempotent."""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from intake.models import Centre, Client, GroupSession, Visit
from services.demo.calibrated import (
    DemoPlan,
    PlannedCentre,
    PlannedVisit,
    all_visit_records,
    calibrated_plan,
    scaled_plan,
)
from services.demo.loader import (
    InProcessTransport,
    KeycloakTokens,
    LoadError,
    load_plan,
    load_scaled,
)
from services.tenancy.context import tenant_transaction
from tests.conftest import require_component

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

REFERENCE = (Path(__file__).resolve().parents[3] / "shared" / "reference"
             / "msc-statistics-2008q3.json")


def _counts() -> dict[str, Counter[str]]:
    """Rows per tenant, read through each tenant's own row-level security."""
    found: dict[str, Counter[str]] = {}
    for tenant in ("AL", "BA", "HR", "XK", "MK", "ME", "RS"):
        with tenant_transaction(tenant):
            found[tenant] = Counter(
                centres=Centre.objects.count(), clients=Client.objects.count(),
                visits=Visit.objects.count(), sessions=GroupSession.objects.count(),
                attendances=Visit.objects.filter(group_session__isnull=False).count())
    return found


def _planned(plan: DemoPlan) -> dict[str, Counter[str]]:
    planned: dict[str, Counter[str]] = {}
    for tenant in ("AL", "BA", "HR", "XK", "MK", "ME", "RS"):
        planned[tenant] = Counter(
            centres=sum(c.tenant_id == tenant for c in plan.centres),
            clients=sum(c.tenant_id == tenant for c in plan.clients),
            visits=sum(r.tenant_id == tenant for r in all_visit_records(plan)),
            sessions=sum(s.tenant_id == tenant for s in plan.sessions),
            attendances=sum(len(s.attendee_keys) for s in plan.sessions
                            if s.tenant_id == tenant))
    return planned


@pytest.fixture
def transport() -> InProcessTransport:
    require_component("postgres")
    require_component("keycloak")
    return InProcessTransport(KeycloakTokens())


def test_calibrated_plan_loads_every_record_once(transport: InProcessTransport) -> None:
    reference: dict[str, Any] = json.loads(REFERENCE.read_text())
    plan = calibrated_plan(reference, seed=1)
    lines: list[str] = []

    started = time.monotonic()
    first = load_plan(plan, transport, out=lines.append)
    first_seconds = time.monotonic() - started
    print(f"calibrated plan, first load in process: {first_seconds:.1f} s")  # noqa: T201

    planned = _planned(plan)
    assert _counts() == planned
    assert sum(c["centres"] for c in planned.values()) == 21
    assert sum(c["clients"] for c in planned.values()) == reference["clients_total"]
    assert sum(c["visits"] for c in planned.values()) == reference["visits_total"]
    assert (first.total("centres_created"), first.total("clients_created"),
            first.total("visits_created"), first.total("sessions_created")) == (
        21, len(plan.clients), len(plan.visits), len(plan.sessions))
    assert first.total("clients_existing") == first.total("visits_existing") == 0
    assert len(lines) == 8 and lines[-1].startswith("demo data: 21 centres created")

    started = time.monotonic()
    second = load_plan(plan, transport, out=lines.append)
    print(f"calibrated plan, second load: {time.monotonic() - started:.1f} s")  # noqa: T201

    assert _counts() == planned
    assert sum(load.created for load in second.tenants.values()) == 0
    assert (second.total("centres_existing"), second.total("clients_existing"),
            second.total("visits_existing"), second.total("sessions_existing")) == (
        21, len(plan.clients), len(plan.visits), len(plan.sessions))


def test_scaled_plan_loads_and_reloads(transport: InProcessTransport) -> None:
    plan = scaled_plan(seed=7, visits=300, start=date(2009, 1, 1), end=date(2009, 3, 31))
    lines: list[str] = []

    started = time.monotonic()
    first = load_scaled(plan, transport, out=lines.append)
    print(f"scaled plan of 300 visits: {time.monotonic() - started:.1f} s")  # noqa: T201

    counts = _counts()
    clients = Counter(c.tenant_id for c in plan.clients())
    visits = Counter(v.tenant_id for v in plan.visits())
    for tenant, found in counts.items():
        assert found["centres"] == len(plan.centres_by_tenant[tenant])
        assert (found["clients"], found["visits"]) == (clients[tenant], visits[tenant])
    assert first.total("clients_created") == plan.clients_total == 240
    assert first.total("visits_created") == plan.visits_total == 300

    second = load_scaled(plan, transport, out=lines.append)
    assert _counts() == counts
    assert sum(load.created for load in second.tenants.values()) == 0
    assert second.total("visits_existing") == 300


def test_a_refused_item_stops_the_load_with_its_reason(transport: InProcessTransport) -> None:
    centre = PlannedCentre("centre-1", "ME", "Bar", "ME-02")
    lost = PlannedVisit(key="visit-of-nobody", tenant_id="ME", client_key="never-synced",
                        centre_key=centre.key,
                        occurred_at=datetime(2008, 7, 1, 9, tzinfo=UTC), channel="in_person",
                        services=("information",))
    plan = DemoPlan(seed=0, start=date(2008, 6, 1), end=date(2008, 8, 31), centres=(centre,),
                    clients=(), visits=(lost,), sessions=())

    with pytest.raises(LoadError) as refused:
        load_plan(plan, transport, out=lambda _line: None)

    assert "visit visit-of-nobody: invalid" in str(refused.value)
    assert "no such client in your tenant" in str(refused.value)
    with tenant_transaction("ME"):
        assert Visit.objects.count() == 0
