"""What every page shares: navigation by role, the way in for the keyboard, assets served by
the application itself, the login for those not logged in."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.web.conftest import logged_in

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def _nav(html: str) -> list[str]:
    menu = html.split('<nav class="main-nav"', 1)[1].split("</nav>", 1)[0]
    return re.findall(r'<a href="([^"]+)"', menu)


def test_each_role_sees_only_its_pages(stack: None) -> None:
    counsellor = logged_in("counsellor.al").get("/app/clients").content.decode()
    assert _nav(counsellor) == ["/app/clients", "/app/referrals", "/app/notifications",
                                "/dashboard/"]
    assert 'href="/app/clients" aria-current="page"' in counsellor
    assert "counsellor.al · AL · Counsellor" in counsellor
    partner = logged_in("partner.al").get("/app/partner/referrals").content.decode()
    assert _nav(partner) == ["/app/partner/referrals"]
    assert "partner.al · AL · Partner institution" in partner
    manager = logged_in("manager.al").get("/app/centres").content.decode()
    assert _nav(manager) == ["/app/clients", "/app/referrals", "/app/notifications",
                             "/app/centres", "/app/sessions", "/dashboard/"]
    admin = logged_in("admin.al").get("/app/admin/activity").content.decode()
    assert _nav(admin)[3:] == ["/app/centres", "/app/sessions", "/app/admin/activity",
                               "/app/admin/directory", "/app/admin/routing", "/dashboard/"]
    assert 'href="/app/admin/activity" aria-current="page"' in admin
    regional = logged_in("regional.monitor")
    home = regional.get("/app/")
    assert home.status_code == 302 and home["Location"] == "/dashboard/"
    # The regional office keeps the shared directory: it sits beside the dashboard.
    assert _nav(regional.get("/dashboard/").content.decode()) == ["/app/admin/directory",
                                                                  "/dashboard/"]
    assert regional.get("/app/clients").status_code == 403
    assert logged_in("partner.al").get("/app/")["Location"] == "/app/partner/referrals"
    assert logged_in("counsellor.al").get("/app/")["Location"] == "/app/clients"


def test_keyboard_first_and_assets_from_the_application(stack: None) -> None:
    page = logged_in("counsellor.al").get("/app/clients").content.decode()
    assert page.index('class="skip-link" href="#main"') < page.index("<header")
    assert '<main id="main" tabindex="-1">' in page
    assert 'href="/static/web/app.css"' in page and 'src="/static/web/app.js"' in page
    assert "http" not in "".join(re.findall(r'(?:href|src)="([^"]+)"', page))  # no CDN
    client = Client()
    for asset, kind in (("/static/web/app.css", "text/css"), ("/static/web/app.js", "javascript")):
        answer = client.get(asset)
        assert answer.status_code == 200 and kind in answer["Content-Type"], asset
    css = client.get("/static/web/app.css").getvalue().decode()
    assert ":focus-visible" in css and "@media (max-width: 700px)" in css


def test_not_logged_in_goes_through_the_login_and_back(stack: None) -> None:
    client = Client()
    start = client.get("/").content.decode()
    assert 'href="/login?next=/app/"' in start
    answer = client.get("/app/clients?q=Hoxha")
    assert answer.status_code == 302
    assert answer["Location"] == "/login?next=%2Fapp%2Fclients%3Fq%3DHoxha"
    keycloak = client.get(answer["Location"])
    assert keycloak.status_code == 302
    assert "/realms/msc/protocol/openid-connect/auth?" in keycloak["Location"]
    assert "code_challenge_method=S256" in keycloak["Location"]
    assert client.get("/app/no-such-page").status_code == 404
