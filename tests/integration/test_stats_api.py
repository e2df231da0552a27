"""`/api/v1/stats/summary` on real ClickHouse: figures from recorded visits and sent referrals,
who may see which, small cells withheld where a view crosses tenants or goes below one, bad
parameters refused."""

from __future__ import annotations

import calendar
import uuid
from datetime import date
from typing import Any

import pytest

from intake.models import Centre
from referrals.models import Referral
from services.tenancy.context import tenant_transaction
from tests.analytics_stream.referral_mix import (
    EXPECTED,
    INSTITUTIONS,
    NEED,
    Mix,
    make_referrals,
    postgres_figures,
)
from tests.conftest import require_component
from tests.integration.keycloak_helpers import as_user
from tests.pipeline_helpers import stream_outbox
from tests.waiting import data_version_watch_caught_up

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

JULY = "from=2008-07-01&to=2008-07-31"
CONSENT = {"given_at": "2026-11-01T08:00:00Z", "scope": "service"}


def _client(tenant: str, n: int, **overrides: Any) -> dict[str, Any]:
    body = {"given_name": f"Client{n}", "family_name": f"Family{n}", "sex": "male" if n % 4
            else "female", "birth_year": 1970 + n, "citizenship": tenant, "category": "national",
            "municipality_code": "M1", "urban": n % 2 == 0, "education_level": "isced3",
            "employment_status": "unemployed", "migration_intention": "labour",
            "preferred_destinations": ["IT", "DE"], "consent": CONSENT, "confirm_new": True}
    body.update(overrides)
    return body


def _load(tenant: str, clients: list[dict[str, Any]]) -> str:
    with tenant_transaction(tenant):
        centre = str(Centre.objects.create(tenant_id=tenant, name=f"{tenant} MSC",
                                           municipality_code="1").id)
    items: list[dict[str, Any]] = []
    for n, client in enumerate(clients):
        items.append({"kind": "client", "key": f"{tenant}-c{n}", "data": client})
        items.append({"kind": "visit", "key": f"{tenant}-v{n}", "data": {
            "client_key": f"{tenant}-c{n}", "centre_id": centre, "channel": "in_person",
            "occurred_at": f"2008-07-{n % 28 + 1:02d}T10:00:00Z",
            "services": ["information", "counselling"] if n % 3 == 0 else ["information"]}})
    response = as_user(f"counsellor.{tenant.lower()}").post("/api/v1/sync", {"items": items},
                                                            format="json")
    assert response.json()["summary"] == {"created": len(items)}, response.content
    return centre


@pytest.fixture
def loaded(clickhouse_database: str) -> dict[str, str]:
    """AL: 12 nationals and 2 immigrants; RS: 3 nationals. Streamed into ClickHouse."""
    require_component("keycloak")
    al = [_client("AL", n) for n in range(12)] + [
        _client("AL", 20 + n, category="immigrant", citizenship="UA", employment_status="employed",
                permit_status="work_permit") for n in range(2)]
    centres = {"AL": _load("AL", al), "RS": _load("RS", [_client("RS", n) for n in range(3)])}
    stream_outbox(clickhouse_database, ("AL", "RS"))
    return centres


def test_a_tenant_sees_its_own_figures_in_full(loaded: dict[str, str]) -> None:
    response = as_user("counsellor.al").get(f"/api/v1/stats/summary?{JULY}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["tenants"], body["small_cells_withheld_below"]) == (["AL"], None)
    assert (body["clients"], body["visits"], body["immigrant_clients"]) == (14, 14, 2)
    assert body["services"] == {"information": 14, "counselling": 5}
    assert body["nationals"]["clients"] == 12
    assert body["nationals"]["male"] == 9
    assert body["nationals"]["urban"] == 6
    assert body["nationals"]["preferred_destinations_top5"] == ["DE", "IT"]
    assert body["immigrants"]["permit_status"] == {"work_permit": 2}
    assert body["clients_by_tenant"] == {"AL": 14}


def test_the_region_sees_every_tenant_with_small_cells_withheld(loaded: dict[str, str]) -> None:
    body = as_user("regional.monitor").get(f"/api/v1/stats/summary?{JULY}").json()
    assert body["small_cells_withheld_below"] == 10
    assert body["clients"] == 17
    # RS has 3 clients: withheld, and AL with it, or 17 - AL would give RS away.
    assert body["clients_by_tenant"]["RS"] is None
    assert body["clients_by_tenant"]["AL"] is None
    assert body["clients_by_tenant"]["BA"] == 0
    assert body["immigrant_clients"] is None  # 2 immigrants
    assert body["immigrants"]["by_tenant"]["AL"] is None
    assert body["immigrants"]["tenants_with_none"] == ["BA", "HR", "ME", "MK", "RS", "XK"]
    assert body["nationals"]["clients"] == 15
    assert body["visitors_ranking"][:2] == ["AL", "RS"]  # an order, not counts


def test_who_may_ask_for_what(loaded: dict[str, str]) -> None:
    assert as_user("counsellor.al").get(
        f"/api/v1/stats/summary?{JULY}&tenant=RS").status_code == 403
    assert as_user("partner.al").get(f"/api/v1/stats/summary?{JULY}").status_code == 403
    single = as_user("regional.monitor").get(f"/api/v1/stats/summary?{JULY}&tenant=RS").json()
    assert (single["tenants"], single["clients"], single["visits"]) == (["RS"], None, None)
    assert set(single["services"].values()) == {None}  # 3 people behind those visits
    by_centre = as_user("manager.al").get(
        f"/api/v1/stats/summary?{JULY}&centre_id={loaded['AL']}").json()
    assert by_centre["small_cells_withheld_below"] == 10
    assert by_centre["clients"] == 14
    assert by_centre["immigrant_clients"] is None


@pytest.mark.parametrize(("query", "field"), [
    ("from=2008-07-31&to=2008-07-01", "to"),
    ("from=2008-07-01", "to"),
    (f"{JULY}&tenant=QQ", "tenant"),
    (f"{JULY}&breakdown=sex", "breakdown"),
    ("from=2008-07-01&to=2020-07-01", "to"),
    ("from=yesterday&to=2008-07-01", "from"),
])
def test_bad_parameters_are_400_naming_the_field(loaded: dict[str, str], query: str,
                                                 field: str) -> None:
    response = as_user("regional.monitor").get(f"/api/v1/stats/summary?{query}")
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]


def test_a_controlled_view_needs_whole_months(loaded: dict[str, str]) -> None:
    response = as_user("regional.monitor").get(
        "/api/v1/stats/summary?from=2008-07-01&to=2008-07-30")
    assert response.status_code == 400
    assert "whole calendar months" in response.json()["error"]["fields"]["from"][0]
    assert as_user("counsellor.al").get(
        "/api/v1/stats/summary?from=2008-07-01&to=2008-07-30").status_code == 200


def test_an_unreachable_statistics_store_is_503(settings: Any) -> None:
    require_component("keycloak")
    settings.CLICKHOUSE = {**settings.CLICKHOUSE, "PORT": 9}  # nothing listens there
    response = as_user("regional.monitor").get(f"/api/v1/stats/summary?{JULY}")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "statistics_unavailable"


def _month_of(day: date) -> str:
    last = calendar.monthrange(day.year, day.month)[1]
    return f"from={day.replace(day=1)}&to={day.replace(day=last)}"


@pytest.fixture
def referred(clickhouse_database: str) -> Mix:
    """AL's referrals in a known mix (tests.analytics_stream.referral_mix), streamed into
    ClickHouse twice: an at-least-once pipeline delivers events more than once."""
    require_component("keycloak")
    mix = make_referrals()
    stream_outbox(clickhouse_database, ("AL",))
    stream_outbox(clickhouse_database, ("AL",))
    return mix


def test_a_tenant_sees_its_referrals_in_full_as_postgresql_has_them(referred: Mix) -> None:
    body = as_user("counsellor.al").get(
        f"/api/v1/stats/summary?{_month_of(referred.sent_on)}").json()
    referrals = body["referrals"]
    assert {name: referrals[name] for name in EXPECTED} == EXPECTED == postgres_figures()
    # Every answer came within the test, seconds after sending.
    assert referrals["median_hours_to_answer"] == 0.0
    assert {row["name"]: row["sent"] for row in referrals["by_institution"]} == INSTITUTIONS
    assert [(row["need"], row["sent"]) for row in referrals["by_need"]] == [(NEED, 14)]
    assert [(row["tenant"], row["clients"]) for row in referrals["by_tenant"]] == [("AL", 14)]
    with tenant_transaction("AL"):
        first_choice = Referral.objects.filter(sent_at__isnull=False, suggestion_rank=1).count()
    routing = referrals["top_suggestion"]
    assert (routing["chosen"], routing["other"]) == (first_choice, 14 - first_choice)


def test_the_region_sees_referrals_with_small_groups_withheld(referred: Mix) -> None:
    body = as_user("regional.monitor").get(
        f"/api/v1/stats/summary?{_month_of(referred.sent_on)}").json()
    referrals = body["referrals"]
    assert (referrals["sent"], referrals["clients"]) == (14, 14)
    assert (referrals["accepted"], referrals["declined"], referrals["completed"]) == (
        None, None, None)  # 8, 2 and 5 referrals
    assert referrals["median_hours_to_answer"] == 0.0  # 10 answered clients
    # 2 clients at the second institution: withheld, and the first with it (14 - 12 = 2).
    shown = {row["name"]: row["sent"] for row in referrals["by_institution"]}
    assert shown == dict.fromkeys(INSTITUTIONS)
    assert [(row["need"], row["sent"]) for row in referrals["by_need"]] == [(NEED, 14)]
    by_tenant = {row["tenant"]: row["sent"] for row in referrals["by_tenant"]}
    assert by_tenant == {"AL": 14, "BA": 0, "HR": 0, "ME": 0, "MK": 0, "RS": 0, "XK": 0}
    centre = as_user("regional.monitor").get(
        f"/api/v1/stats/summary?{_month_of(referred.sent_on)}&centre_id={uuid.uuid4()}").json()
    assert "per centre" in centre["referrals"]["not_applicable"]


def test_a_client_accepting_stale_figures_is_told_their_age(loaded: dict[str, str],
                                                          clickhouse_database: str) -> None:
    monitor = as_user("regional.monitor")
    url = f"/api/v1/stats/summary?{JULY}"
    fresh = monitor.get(url)
    assert fresh.status_code == 200 and "Age" not in fresh
    # (Such a request takes the data version the process read last: the test waits for a new one.)
    data_version_watch_caught_up(clickhouse_database)
    same = monitor.get(url, HTTP_CACHE_CONTROL="max-stale=60")
    assert (same.json(), "Age" in same) == (fresh.json(), False)

    _load("ME", [_client("ME", n) for n in range(2)])
    stream_outbox(clickhouse_database, ("ME",))
    data_version_watch_caught_up(clickhouse_database)
    answer = monitor.get(url, HTTP_CACHE_CONTROL="max-stale=60")
    # The figures counted before the new visits, said to be stale, unless the recount was done.
    if "Age" in answer:
        assert answer.json() == fresh.json()
    else:
        assert answer.json()["clients"] == fresh.json()["clients"] + 2
    assert monitor.get(url).json()["clients"] == fresh.json()["clients"] + 2


def test_figures_still_being_counted_are_503_with_retry_after(loaded: dict[str, str],
                                                             settings: Any) -> None:
    settings.STATS_COUNT_WAIT_SECONDS = 0  # every count takes longer than the request waits
    monitor = as_user("regional.monitor")
    url = "/api/v1/stats/summary?from=2008-06-01&to=2008-08-31"
    counting = monitor.get(url)
    assert counting.status_code == 503, counting.content
    assert counting.json()["error"]["code"] == "statistics_counting"
    assert int(counting["Retry-After"]) > 0

    settings.STATS_COUNT_WAIT_SECONDS = 30
    counted = monitor.get(url)
    assert counted.status_code == 200 and counted.json()["clients"] == 17
