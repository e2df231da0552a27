"""The directory's pages for both who keep it: the regional office lists, changes, imports and
exports the shared entries every country sees and never a tenant's; a tenant administrator
sees the shared entries beside their own, marked as shared, and may read but not change them."""

from __future__ import annotations

import io
import json
import re
import uuid
from typing import Any

import pytest
from django.test import Client

from referrals.models import Service
from services.tenancy.context import tenant_transaction
from tests.referral_world import World, make_shared_directory
from tests.web.conftest import logged_in

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

SHARED_TAG = "Shared, read only"
# An HSDS package as JSON: its lists of records.
Json = dict[str, list[dict[str, Any]]]


def _upload(package: Json, name: str = "directory.json") -> io.BytesIO:
    upload = io.BytesIO(json.dumps(package).encode())
    upload.name = name
    return upload


def _give_id(package: Json, service_id: str, new_id: str) -> None:
    """Give a service of the package another id, where it is delivered too."""
    for row in package["services"]:
        if row["id"] == service_id:
            row["id"] = new_id
    for row in package["service_at_locations"]:
        if row["service_id"] == service_id:
            row["service_id"] = new_id


def _exported(user: Client) -> Json:
    answer = user.get("/app/admin/directory/export", {"as": "json"})
    assert answer.status_code == 200 and "attachment" in answer["Content-Disposition"]
    package: Json = json.loads(answer.content)
    return package


def _change(version: int, seats_available: int) -> dict[str, object]:
    return {"status": "active", "seats_total": "15", "seats_available": str(seats_available),
            "waiting_list_length": "0", "minimum_age": "16", "languages": ["sq", "en"],
            "version": str(version)}


def test_the_regional_office_keeps_the_shared_directory_and_never_sees_a_tenants(
        world: World) -> None:
    shared = make_shared_directory()
    regional = logged_in("regional.monitor")

    listing = regional.get("/app/admin/directory").content.decode()
    assert "The shared regional directory" in listing
    assert "which every country sees" in listing  # the import replaces the shared directory
    assert "German A1, online" in listing and "Balkan Skills Network" in listing
    assert f'href="/app/admin/directory/services/{shared["german"]}"' in listing
    for tenants in ("English B1, Tirana", "Tirana Language School", SHARED_TAG):
        assert tenants not in listing, tenants
    assert "Welding" in regional.get("/app/admin/directory", {"q": "weld"}).content.decode()

    # A shared service is changed with its version, as through the API.
    url = f"/app/admin/directory/services/{shared['german']}"
    page = regional.get(url).content.decode()
    assert 'name="version" value="1"' in page and 'name="seats_available" value="5"' in page
    assert "what you change here changes for all of them" in page
    saved = regional.post(url, _change(1, 3))
    assert saved.status_code == 302
    assert saved["Location"] == f"/app/admin/directory?saved={shared['german']}"
    with tenant_transaction(None):
        german = Service.objects.get(id=shared["german"])
    assert (german.seats_available, german.version, german.tenant_id) == (3, 2, None)
    assert regional.post(url, _change(1, 4)).status_code == 409  # based on an old version

    # A tenant's service is not there for the regional office, to read or to change.
    al_service = f"/app/admin/directory/services/{world.services['near']}"
    assert regional.get(al_service).status_code == 404
    assert regional.post(al_service, _change(1, 0)).status_code == 404

    package = _exported(regional)
    assert {s["id"] for s in package["services"]} == set(shared.values())
    assert {o["name"] for o in package["organizations"]} == {"Balkan Skills Network"}

    # An import replaces the shared directory and leaves the tenants' alone.
    package["services"] = [s for s in package["services"] if s["id"] == shared["german"]]
    package["service_at_locations"] = [sal for sal in package["service_at_locations"]
                                       if sal["service_id"] == shared["german"]]
    imported = regional.post("/app/admin/directory/import", {"package": _upload(package)})
    assert imported.status_code == 302, imported.content.decode()
    assert "The package is imported:" in regional.get(imported["Location"]).content.decode()
    with tenant_transaction(None):
        assert list(Service.objects.values_list("id", flat=True)) == [uuid.UUID(shared["german"])]
    with tenant_transaction("AL"):
        assert Service.objects.filter(tenant_id="AL").count() == 4

    # Nor can an import take over a tenant's entry by naming its id.
    _give_id(package, shared["german"], world.services["near"])
    refused = regional.post("/app/admin/directory/import", {"package": _upload(package)})
    assert refused.status_code == 400
    assert "taken by entries outside your directory" in refused.content.decode()
    with tenant_transaction("AL"):
        near = Service.objects.get(id=world.services["near"])
    assert (near.tenant_id, near.name) == ("AL", "English B1, Tirana")


def test_a_tenant_administrator_reads_the_shared_entries_but_cannot_change_them(
        world: World) -> None:
    shared = make_shared_directory()
    admin = logged_in("admin.al")

    listing = admin.get("/app/admin/directory").content.decode()
    assert "Your directory of institutions" in listing
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", listing.split("<tbody>", 1)[1], flags=re.S)
    names = [re.sub(r"<[^>]+>", "", row.split("</td>", 1)[0]).strip() for row in rows]
    assert len(names) == 6 and not any(SHARED_TAG in name for name in names[:4])  # theirs first
    assert names[4:] == [f"German A1, online {SHARED_TAG}",
                         f"Welding certificate, Skopje {SHARED_TAG}"]
    assert f'href="/app/admin/directory/services/{shared["german"]}"' in listing
    assert "Besides yours, 2 services of the regional directory are shared" in listing

    url = f"/app/admin/directory/services/{shared['german']}"
    page = admin.get(url)
    assert page.status_code == 200
    shown = page.content.decode()
    assert "only the regional office can change it" in shown
    assert re.search(r"<dt>Free seats</dt><dd>5</dd>", shown)
    assert 'name="version"' not in shown and 'name="seats_available"' not in shown
    assert admin.post(url, _change(1, 0)).status_code == 404
    with tenant_transaction("AL"):
        german = Service.objects.get(id=shared["german"])
    assert (german.seats_available, german.version) == (5, 1)

    # The tenant's export and import are of its own entries only.
    package = _exported(admin)
    assert not {s["id"] for s in package["services"]} & set(shared.values())
    _give_id(package, world.services["near"], shared["welding"])
    refused = admin.post("/app/admin/directory/import", {"package": _upload(package)})
    assert refused.status_code == 400
    assert f"id {shared['welding']} is a shared entry of the regional directory" in (
        refused.content.decode())
    with tenant_transaction(None):
        assert Service.objects.get(id=shared["welding"]).name == "Welding certificate, Skopje"


def test_the_directory_is_for_those_who_keep_it(world: World) -> None:
    shared = make_shared_directory()
    for username in ("counsellor.al", "partner.al"):
        user = logged_in(username)
        for page in ("/app/admin/directory", f"/app/admin/directory/services/{shared['german']}",
                     "/app/admin/directory/import", "/app/admin/directory/export"):
            assert user.get(page).status_code == 403, (username, page)
    manager = logged_in("manager.al")
    assert manager.get("/app/admin/directory").status_code == 403
    assert manager.get("/app/admin/directory/export").status_code == 200  # as through the API


def test_the_regional_pages_in_albanian(world: World) -> None:
    shared = make_shared_directory()
    regional = logged_in("regional.monitor")
    regional.post("/i18n/setlang/", {"language": "sq", "next": "/app/admin/directory"})
    listing = regional.get("/app/admin/directory").content.decode()
    assert '<html lang="sq">' in listing and "Regjistri rajonal i përbashkët" in listing
    page = regional.get(f"/app/admin/directory/services/{shared['german']}").content.decode()
    assert "Këtë shërbim e shohin të gjitha vendet" in page
    admin = logged_in("admin.al")
    admin.post("/i18n/setlang/", {"language": "sq", "next": "/app/admin/directory"})
    assert "I përbashkët, vetëm për lexim" in admin.get("/app/admin/directory").content.decode()


def test_a_value_the_directory_cannot_store_is_a_problem_of_the_package(world: World) -> None:
    make_shared_directory()
    regional = logged_in("regional.monitor")
    package = _exported(regional)
    package["services"][0]["description"] = "German\x00A1"
    refused = regional.post("/app/admin/directory/import", {"package": _upload(package)})
    assert refused.status_code == 400
    assert "a value does not fit the directory" in refused.content.decode()
