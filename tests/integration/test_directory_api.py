"""The directory through its HSDS 3 endpoints, and a tenant's package exported and imported again.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from referrals import hsds
from referrals.directory import directory_export
from referrals.models import Organization, Service
from services.outbox.models import OutboxEvent
from services.tenancy.context import tenant_transaction
from tests.conftest import require_component
from tests.integration.keycloak_helpers import as_user
from tests.referral_world import LANGUAGE_COURSE, World, admin, make_world, refer

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture
def world() -> World:
    require_component("postgres")
    require_component("keycloak")
    return make_world("AL")


def _export(tenant: str = "AL") -> hsds.Package:
    with tenant_transaction(tenant):
        return directory_export(admin(tenant))


def test_hsds_endpoints_page_and_filter(world: World) -> None:
    make_world("RS")
    counsellor = as_user("counsellor.al")
    page = counsellor.get("/api/v1/directory/services", {"per_page": 3}).json()
    assert (page["total_items"], page["total_pages"], page["size"], page["first_page"],
            page["last_page"]) == (4, 2, 3, True, False)
    second = counsellor.get("/api/v1/directory/services", {"per_page": 3, "page": 2}).json()
    ids = {s["id"] for s in page["contents"] + second["contents"]}
    assert ids == set(world.services.values())  # RS's directory is not AL's
    found = counsellor.get("/api/v1/directory/services", {"search": "italian"}).json()
    assert [s["id"] for s in found["contents"]] == [world.services["full"]]
    by_org = counsellor.get("/api/v1/directory/services",
                            {"organization_id": world.organizations["second"]}).json()
    assert {s["id"] for s in by_org["contents"]} == {world.services["far"],
                                                     world.services["youth"]}
    by_term = counsellor.get("/api/v1/directory/services",
                             {"taxonomy_term_id": LANGUAGE_COURSE}).json()
    assert by_term["total_items"] == 4
    detail = counsellor.get(f"/api/v1/directory/services/{world.services['near']}").json()
    assert detail["organization"]["id"] == world.organizations["first"]
    assert detail["service_at_locations"][0]["location"]["name"].endswith("Tirana")
    terms = counsellor.get("/api/v1/directory/taxonomy_terms", {"search": "language"}).json()
    assert LANGUAGE_COURSE in {t["id"] for t in terms["contents"]}
    taxonomies = counsellor.get("/api/v1/directory/taxonomies").json()
    assert {"msc-skills", "isco-08", "msc-eligibility"} <= {t["name"] for t in
                                                            taxonomies["contents"]}
    assert counsellor.get("/api/v1/directory/service_at_locations").json()["total_items"] == 4
    assert counsellor.get("/api/v1/directory/organizations").json()["total_items"] == 2
    assert counsellor.get("/api/v1/directory/services", {"page": 0}).status_code == 400
    assert counsellor.get("/api/v1/directory/services", {"per_page": 500}).status_code == 400
    rs_service = _export("RS").services[0].id
    assert counsellor.get(f"/api/v1/directory/services/{rs_service}").status_code == 404


def test_exported_package_reimported_gives_the_same_directory(world: World) -> None:
    before = _export()
    admin_al = as_user("admin.al")
    as_json = admin_al.get("/api/v1/directory/export", {"as": "json"})
    assert as_json.status_code == 200
    as_csv = admin_al.get("/api/v1/directory/export", {"as": "csv"})
    assert as_csv.status_code == 200 and as_csv["Content-Type"] == "application/zip"
    with tenant_transaction("AL"):
        Service.objects.filter(tenant_id="AL").delete()
        Organization.objects.filter(tenant_id="AL").delete()
    assert _export().services == ()
    imported = admin_al.generic("POST", "/api/v1/directory/import",
                                json.dumps(as_json.json()), content_type="application/json")
    assert imported.status_code == 200, imported.content
    assert imported.json()["imported"]["services"] == 4
    assert _export() == before
    again = admin_al.generic("POST", "/api/v1/directory/import", as_csv.content,
                             content_type="application/zip")
    assert again.status_code == 200, again.content
    assert _export() == before


def test_malformed_package_lists_every_problem_and_imports_nothing(world: World) -> None:
    before = _export()
    package: dict[str, Any] = hsds.package_to_json(before)
    package["services"][0]["minimum_age"] = "ten"
    package["services"][1]["organization_id"] = "not-a-uuid"
    package["services"][2]["name"] = "Renamed"  # a valid change that must not land either
    response = as_user("admin.al").generic("POST", "/api/v1/directory/import",
                                           json.dumps(package), content_type="application/json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_package" and len(error["problems"]) >= 2
    assert any("minimum_age" in p for p in error["problems"])
    assert any("organization_id" in p for p in error["problems"])
    assert _export() == before
    garbage = as_user("admin.al").generic("POST", "/api/v1/directory/import",
                                          b"PK\x03\x04nope",  # type: ignore[arg-type]
                                          content_type="application/zip")
    assert garbage.status_code == 400 and garbage.json()["error"]["problems"]
    assert as_user("counsellor.al").generic(
        "POST", "/api/v1/directory/import", json.dumps(package),
        content_type="application/json").status_code == 403


def test_a_package_cannot_take_over_another_tenants_entries(world: World) -> None:
    make_world("RS")
    rs = _export("RS")
    package = hsds.package_to_json(rs)
    response = as_user("admin.al").generic("POST", "/api/v1/directory/import",
                                           json.dumps(package), content_type="application/json")
    assert response.status_code == 400
    problems = response.json()["error"]["problems"]
    assert any("outside your directory" in p for p in problems)
    assert not any(rs.services[0].id in p or "RS" in p for p in problems)
    assert _export("RS") == rs


def test_capacity_change_is_versioned_and_announced(world: World) -> None:
    refer(world)
    admin_al = as_user("admin.al")
    url = f"/api/v1/directory/services/{world.services['near']}"
    current = admin_al.get(url)
    changed = admin_al.patch(url, {"seats_available": 0, "waiting_list_open": True},
                             format="json", HTTP_IF_MATCH=current["ETag"])
    assert changed.status_code == 200, changed.content
    stale = admin_al.patch(url, {"seats_available": 3}, format="json",
                           HTTP_IF_MATCH=current["ETag"])
    assert stale.status_code == 409
    too_many = admin_al.patch(url, {"seats_available": 99}, format="json",
                              HTTP_IF_MATCH=changed["ETag"])
    assert too_many.status_code == 400
    assert as_user("counsellor.al").patch(url, {"seats_available": 1}, format="json",
                                          HTTP_IF_MATCH=changed["ETag"]).status_code == 403
    with tenant_transaction("AL"):
        announced = OutboxEvent.objects.filter(
            event_type="org.msc.referrals.service.capacity-changed.v1")
        assert [e.envelope["data"]["seats_available"] for e in announced] == [0]


@pytest.mark.parametrize("where, value", [("description", "English\x00B1"),
                                          ("capacities", 10**20)])
def test_a_value_the_directory_cannot_store_is_a_problem_of_the_package(
        world: World, where: str, value: object) -> None:
    before = _export()
    package: dict[str, Any] = hsds.package_to_json(before)
    service = next(s for s in package["services"] if s["capacities"])
    if where == "capacities":
        service["capacities"][0]["maximum"] = value
    else:
        service[where] = value
    response = as_user("admin.al").generic("POST", "/api/v1/directory/import",
                                           json.dumps(package), content_type="application/json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid_package"
    assert error["problems"] == ["a value does not fit the directory: a text with a NUL "
                                 "character, or a number out of range"]
    assert _export() == before
