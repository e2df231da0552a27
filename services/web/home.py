"""The start page, each role's home, and the page for what is not there."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import defaults

from services.auth.tokens import Role
from services.web.layout import STAFF
from services.web.middleware import API_PREFIX
from services.web.oidc import login_required, principal_of, session_principal


def start(request: HttpRequest) -> HttpResponse:
    """The logged-out front page; a logged-in user goes on to their home."""
    if session_principal(request) is not None:
        return HttpResponseRedirect(reverse("web-home"))
    return render(request, "web/start.html")


@login_required(*Role.ALL)
def home(request: HttpRequest) -> HttpResponse:
    """Where each role starts: counsellors at client search, partners at their inbox."""
    principal = principal_of(request)
    if principal.has_role(*STAFF):
        return HttpResponseRedirect(reverse("web-clients"))
    if principal.has_role(Role.PARTNER):
        return HttpResponseRedirect(reverse("web-partner-inbox"))
    return HttpResponseRedirect(reverse("dashboard"))


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """404 in the page layout and the user's language; another tenant's record looks the same
    as a missing one. The API's paths keep Django's plain answer."""
    if request.path.startswith(API_PREFIX):
        return defaults.page_not_found(request, exception)
    return render(request, "web/error.html", {
        "title": _("Not found"),
        "message": _("There is nothing here, or it is not for you to see."),
    }, status=404)
