"""The tenant administrator's pages: users' activity from the audit log, a client's erasure
after typing their name, the tenant's directory (a service changed with its version, an HSDS
package imported whole or refused with every problem, exported), and the routing weights and
referral deadline."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import date, timedelta

import pytest
from django.utils import timezone

from intake.models import AuditEntry, Client
from referrals.models import RoutingSettings, Service
from services.tenancy.context import tenant_transaction
from tests.referral_world import World, register_client
from tests.web.conftest import logged_in

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def _rows(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    return re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)


def test_activity_filtered_by_user_client_and_date(stack: None) -> None:
    arta = register_client("AL")
    besa = register_client("AL", given_name="Besa", family_name="Leka", birth_year=1990,
                           birth_date="1990-01-01")
    logged_in("counsellor.al").get(f"/app/clients/{arta}")
    logged_in("manager.al").get(f"/app/clients/{besa}")
    admin = logged_in("admin.al")

    everything = admin.get("/app/admin/activity").content.decode()
    assert '<option value="counsellor.al">' in everything
    rows = _rows(admin.get("/app/admin/activity", {"actor": "counsellor.al"}).content.decode())
    assert rows and all("counsellor.al" in row for row in rows)
    assert any("Opened" in row and "Hoxha, Arta" in row for row in rows)
    assert any("Registered" in row for row in rows)

    by_client = _rows(admin.get("/app/admin/activity", {"client": "leka"}).content.decode())
    assert by_client and all("Leka, Besa" in row for row in by_client)
    assert {"manager.al", "counsellor.al"} <= {
        name for row in by_client for name in ("manager.al", "counsellor.al") if name in row}
    by_id = _rows(admin.get("/app/admin/activity", {"client": arta}).content.decode())
    assert by_id and all("Hoxha, Arta" in row for row in by_id)

    today = timezone.localdate()
    assert _rows(admin.get("/app/admin/activity", {
        "start": (today - timedelta(days=9)).isoformat(),
        "end": (today - timedelta(days=1)).isoformat()}).content.decode()) == []
    assert _rows(admin.get("/app/admin/activity", {"start": today.isoformat()}).content.decode())
    with tenant_transaction("AL"):  # showing names is itself recorded
        assert AuditEntry.objects.filter(actor_username="admin.al", action="list").exists()


def test_erasure_asks_for_the_name_and_then_erases(stack: None) -> None:
    arta = register_client("AL")
    url = f"/app/clients/{arta}/erase"
    admin = logged_in("admin.al")
    assert f'href="{url}"' in admin.get(f"/app/clients/{arta}").content.decode()
    page = admin.get(url).content.decode()
    assert "This cannot be undone." in page and "To confirm, type “Arta Hoxha”." in page

    wrong = admin.post(url, {"confirmation": "Arta Hoxa"}).content.decode()
    assert re.search(r'id="id_confirmation-error">\s*This is not the client’s name as shown',
                     wrong)
    assert 'value="Arta Hoxa"' in wrong
    with tenant_transaction("AL"):
        assert Client.objects.get(id=arta).erased_at is None

    erased = admin.post(url, {"confirmation": "  hoxha ARTA "})
    assert erased.status_code == 302 and erased["Location"] == "/app/clients?erased=1"
    with tenant_transaction("AL"):
        client = Client.objects.get(id=arta)
    assert client.erased_at is not None and (client.given_name, client.phone) == ("", "")
    assert "The client’s personal data is erased." in admin.get(
        erased["Location"]).content.decode()
    assert admin.get(f"/app/clients/{arta}").status_code == 404


def test_only_the_tenant_administrator_erases(world: World) -> None:
    url = f"/app/clients/{world.client_id}/erase"
    manager = logged_in("manager.al")
    assert 'Erase personal data' not in manager.get(
        f"/app/clients/{world.client_id}").content.decode()
    assert manager.get(url).status_code == 403
    assert manager.post(url, {"confirmation": "Arta Hoxha"}).status_code == 403
    assert logged_in("admin.rs").get(url).status_code == 404
    for page in ("/app/admin/activity", "/app/admin/directory", "/app/admin/routing"):
        assert manager.get(page).status_code == 403, page
    with tenant_transaction("AL"):
        assert Client.objects.get(id=world.client_id).erased_at is None


def test_a_service_changed_with_its_version_and_a_conflict_shown(world: World) -> None:
    near = world.services["near"]
    admin = logged_in("admin.al")
    listing = admin.get("/app/admin/directory").content.decode()
    assert "English B1, Tirana" in listing and "Tirana Language School" in listing
    assert f'href="/app/admin/directory/services/{near}"' in listing

    url = f"/app/admin/directory/services/{near}"
    page = admin.get(url).content.decode()
    assert 'name="version" value="1"' in page and 'name="seats_available" value="12"' in page
    change = {"status": "active", "seats_total": "20", "seats_available": "25",
              "waiting_list_length": "0", "minimum_age": "16", "languages": ["sq", "en"],
              "version": "1"}
    too_many = admin.post(url, change).content.decode()
    assert re.search(r'id="id_seats_available-error">\s*There cannot be more free seats',
                     too_many)
    saved = admin.post(url, {**change, "seats_available": "3", "waiting_list_open": "on",
                             "target_groups": ["youth"]})
    assert saved.status_code == 302
    with tenant_transaction("AL"):
        service = Service.objects.get(id=near)
    assert (service.seats_available, service.waiting_list_open, service.target_groups,
            service.version) == (3, True, ["youth"], 2)

    stale = admin.post(url, {**change, "seats_available": "5"})  # still based on version 1
    assert stale.status_code == 409
    assert re.search(r'<th scope="row">Free seats</th><td class="theirs">3</td>'
                     r'<td class="yours">5</td>', stale.content.decode())
    with tenant_transaction("AL"):
        assert Service.objects.get(id=near).seats_available == 3
    assert logged_in("admin.rs").get(url).status_code == 404


def test_a_bad_package_lists_every_problem_and_imports_nothing(world: World) -> None:
    admin = logged_in("admin.al")
    exported = admin.get("/app/admin/directory/export", {"as": "json"})
    assert exported.status_code == 200
    assert "attachment" in exported["Content-Disposition"]
    package = json.loads(exported.content)
    assert {s["name"] for s in package["services"]} >= {"English B1, Tirana"}
    package["organizations"][0]["name"] = ""
    package["services"][0]["organization_id"] = "00000000-0000-0000-0000-000000000000"
    upload = io.BytesIO(json.dumps(package).encode())
    upload.name = "directory.json"
    refused = admin.post("/app/admin/directory/import", {"package": upload})
    page = refused.content.decode()
    assert refused.status_code == 400
    problems = re.findall(r"<li>([^<]+)</li>", page.split('class="problems"', 1)[1]
                          .split("</ol>", 1)[0])
    assert len(problems) >= 2, problems
    assert f"The package has {len(problems)} problems; nothing was imported." in page
    assert any("organization" in problem for problem in problems)
    with tenant_transaction("AL"):
        assert Service.objects.filter(tenant_id="AL").count() == 4
        assert Service.objects.filter(organization__name="").count() == 0


def test_a_package_exported_as_csv_imports_again(world: World) -> None:
    admin = logged_in("admin.al")
    exported = admin.get("/app/admin/directory/export", {"as": "csv"})
    assert exported["Content-Type"] == "application/zip"
    assert "services.csv" in zipfile.ZipFile(io.BytesIO(exported.content)).namelist()
    upload = io.BytesIO(exported.content)
    upload.name = "directory.zip"
    imported = admin.post("/app/admin/directory/import", {"package": upload})
    assert imported.status_code == 302
    page = admin.get(imported["Location"]).content.decode()
    assert ("The package is imported: 2 institutions, 3 locations, 4 services, "
            "4 places where services are given.") in page
    assert logged_in("counsellor.al").get("/app/admin/directory/export").status_code == 403
    assert logged_in("manager.al").get("/app/admin/directory/export").status_code == 200


def test_routing_weights_and_the_deadline_are_saved_with_their_version(stack: None) -> None:
    admin = logged_in("admin.al")
    page = admin.get("/app/admin/routing").content.decode()
    assert 'name="weight_distance" value="0.35"' in page and 'name="version" value="1"' in page
    settings = {"weight_distance": "2", "weight_capacity": "1", "weight_waiting": "1",
                "weight_record": "0", "answer_working_days": "7",
                "holidays": "2026-12-25\n2026-12-24\n\n2027-01-01", "version": "1"}
    zero = admin.post("/app/admin/routing", {**settings, "weight_distance": "0",
                                             "weight_capacity": "0", "weight_waiting": "0"})
    assert "At least one weight must be above zero" in zero.content.decode()
    bad_day = admin.post("/app/admin/routing", {**settings, "holidays": "2026-12-25\nXmas"})
    assert re.search(r'id="id_holidays-error">\s*Not a date: Xmas.', bad_day.content.decode())

    saved = admin.post("/app/admin/routing", settings)
    assert saved.status_code == 302
    with tenant_transaction("AL"):
        row = RoutingSettings.objects.get(tenant_id="AL")
    assert (row.weight_distance, row.weight_record, row.answer_working_days, row.version) == (
        2.0, 0.0, 7, 2)
    assert row.holidays == [date(2026, 12, 24), date(2026, 12, 25), date(2027, 1, 1)]
    assert row.updated_by == "admin.al"
    shown = admin.get(saved["Location"]).content.decode()
    assert "The settings are saved." in shown and "Distance 50 %" in shown

    stale = admin.post("/app/admin/routing", {**settings, "answer_working_days": "3"})
    assert stale.status_code == 409
    assert re.search(r'<td class="theirs">7</td><td class="yours">3</td>',
                     stale.content.decode())
    with tenant_transaction("AL"):
        assert RoutingSettings.objects.get(tenant_id="AL").answer_working_days == 7
