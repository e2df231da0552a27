"""What every page's layout needs: who is logged in, the navigation their roles allow, the
languages to switch to. A template context processor, so every page (the dashboard too) gets
the same header without each view passing it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from referrals.directory_apis import DIRECTORY_EDITORS
from referrals.selectors import notifications_of
from services.auth.tokens import Principal, Role
from services.web.labels import role_label

STAFF = (Role.COUNSELLOR, Role.CENTRE_MANAGER, Role.TENANT_ADMIN)
MANAGERS = (Role.CENTRE_MANAGER, Role.TENANT_ADMIN)
ADMINS = (Role.TENANT_ADMIN,)
STATISTICS = (*STAFF, Role.REGIONAL_MONITOR)

# BCP 47 tags for `<html lang>` where Django's code leaves the script implicit.
_HTML_LANG = {"sr": "sr-Cyrl", "sr-latn": "sr-Latn"}


@dataclass(frozen=True)
class NavItem:
    url: str
    label: str | Promise
    current: bool
    badge: int = 0


_PAGES: tuple[tuple[str, str | Promise, tuple[str, ...]], ...] = (
    ("web-clients", _("Clients"), STAFF),
    ("web-referrals", _("Referrals"), STAFF),
    ("web-notifications", _("Notifications"), STAFF),
    ("web-centres", _("Centres"), MANAGERS),
    ("web-sessions", _("Group sessions"), MANAGERS),
    ("web-activity", _("Activity"), ADMINS),
    # Tenant administrators keep their tenant's entries, the regional office the shared ones.
    ("web-directory", _("Directory"), DIRECTORY_EDITORS),
    ("web-routing-settings", _("Routing"), ADMINS),
    ("web-partner-inbox", _("Inbox"), (Role.PARTNER,)),
    ("dashboard", _("Statistics"), STATISTICS),
)


def navigation(principal: Principal | None, path: str) -> list[NavItem]:
    """The pages the principal's roles may open, the current one marked."""
    if principal is None:
        return []
    items = []
    for name, label, roles in _PAGES:
        if not principal.has_role(*roles):
            continue
        url = reverse(name)
        badge = 0
        if name == "web-notifications":
            badge = notifications_of(principal).filter(read_at__isnull=True).count()
        items.append(NavItem(url=url, label=label, current=path.startswith(url), badge=badge))
    return items


def html_lang(language: str) -> str:
    return _HTML_LANG.get(language, language)


def layout(request: HttpRequest) -> dict[str, Any]:
    """Context for `web/base.html`."""
    principal = getattr(request, "principal", None)
    if not isinstance(principal, Principal):
        principal = None
    language = get_language() or settings.LANGUAGE_CODE
    return {
        "principal": principal,
        "role_label": role_label(principal) if principal else "",
        "nav": navigation(principal, request.path),
        "site_languages": [(code, name, html_lang(code)) for code, name in settings.LANGUAGES],
        "site_language": language,
        "html_lang": html_lang(language),
    }
