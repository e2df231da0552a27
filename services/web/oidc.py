"""Login for the web pages: OpenID Connect authorization code with PKCE, through Keycloak's own
login page, for the realm's public front-end client (`msc-web`).

The browser never holds a token: the server exchanges the code, validates the access token like
the API does, and keeps the tokens in the server-side session (the browser holds only the
session's id, HttpOnly). An expired access token is renewed with the refresh token; when that
fails the user logs in again and comes back to the page they asked for, and a form they had
posted meanwhile is kept for them (`services.web.drafts`).

A page then acts like an API call of the same user: for the token's tenant (row-level
security), in that tenant's time zone, showing only what the token's roles may do.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from functools import wraps
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from referrals.deadlines import TENANT_TIMEZONES
from services.auth.authentication import realm_keys
from services.auth.tokens import InvalidToken, Principal, validate_access_token
from services.conf import keycloak_settings
from services.tenancy.context import activate_tenant
from services.web import drafts

WEB_CLIENT_ID = "msc-web"
SESSION_KEY = "oidc"
PENDING_KEY = "oidc_pending"
# Renew the access token this long before it expires.
RENEW_MARGIN_SECONDS = 20

View = Callable[..., HttpResponse]


def _endpoint(name: str) -> str:
    return f"{keycloak_settings()['ISSUER']}/protocol/openid-connect/{name}"


def _callback_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("web-oidc-callback"))


def _token_request(form: dict[str, str]) -> dict[str, Any]:
    data = urllib.parse.urlencode(form).encode()
    request = urllib.request.Request(_endpoint("token"), data=data, method="POST")  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - configured IdP
        answer: dict[str, Any] = json.loads(response.read())
    return answer


def _principal(access_token: str) -> Principal:
    conf = keycloak_settings()
    return validate_access_token(access_token, jwks=realm_keys(), issuer=conf["ISSUER"],
                                 audience=conf["AUDIENCE"], leeway_seconds=conf["LEEWAY_SECONDS"])


def store_tokens(session: SessionBase, answer: dict[str, Any]) -> Principal:
    """Keep a token endpoint's answer in the (server-side) session once its access token is
    valid; the user it names is the session's user from now on."""
    principal = _principal(str(answer["access_token"]))
    session[SESSION_KEY] = {
        "access_token": answer["access_token"],
        "refresh_token": answer.get("refresh_token", ""),
        "id_token": answer.get("id_token", ""),
        "expires_at": time.time() + float(answer.get("expires_in", 60)),
    }
    drafts.remember_owner(session, principal)
    return principal


def login(request: HttpRequest) -> HttpResponse:
    """Send the browser to Keycloak's login page with a fresh state, nonce and PKCE challenge."""
    next_url = request.GET.get("next", "/")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    verifier = secrets.token_urlsafe(64)
    challenge = base64.urlsafe_b64encode(
        hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    state = secrets.token_urlsafe(24)
    request.session[PENDING_KEY] = {"state": state, "verifier": verifier, "next": next_url}
    query = urllib.parse.urlencode({
        "client_id": WEB_CLIENT_ID, "response_type": "code", "scope": "openid",
        "redirect_uri": _callback_url(request), "state": state,
        "code_challenge": challenge, "code_challenge_method": "S256",
        "nonce": secrets.token_urlsafe(16)})
    return HttpResponseRedirect(f"{_endpoint('auth')}?{query}")


def callback(request: HttpRequest) -> HttpResponse:
    """Exchange the code (with the PKCE verifier) for tokens, validate them, go where asked."""
    pending = request.session.pop(PENDING_KEY, None)
    if not pending or request.GET.get("state") != pending["state"]:
        return HttpResponseBadRequest("this login link is stale or was not started here; "
                                      "open the page again to log in")
    if "error" in request.GET:
        return HttpResponseBadRequest(f"login failed: {request.GET.get('error_description', '')}")
    try:
        answer = _token_request({
            "grant_type": "authorization_code", "client_id": WEB_CLIENT_ID,
            "code": request.GET.get("code", ""), "redirect_uri": _callback_url(request),
            "code_verifier": pending["verifier"]})
        store_tokens(request.session, answer)
    except (urllib.error.URLError, InvalidToken, KeyError, ValueError) as exc:
        return HttpResponseBadRequest(f"login failed: {exc}")
    request.session.cycle_key()  # a new session id once logged in
    return HttpResponseRedirect(pending["next"])


def logout(request: HttpRequest) -> HttpResponse:
    """End the session here and at Keycloak, then come back to the start page."""
    tokens = request.session.get(SESSION_KEY) or {}
    request.session.flush()
    query = urllib.parse.urlencode({
        "client_id": WEB_CLIENT_ID, "post_logout_redirect_uri": request.build_absolute_uri("/"),
        **({"id_token_hint": tokens["id_token"]} if tokens.get("id_token") else {})})
    return HttpResponseRedirect(f"{_endpoint('logout')}?{query}")


def session_principal(request: HttpRequest) -> Principal | None:
    """The logged-in user, renewing the access token when it is about to expire; None if none."""
    tokens = request.session.get(SESSION_KEY)
    if not tokens:
        return None
    if time.time() > tokens["expires_at"] - RENEW_MARGIN_SECONDS:
        try:
            return store_tokens(request.session, _token_request({
                "grant_type": "refresh_token", "client_id": WEB_CLIENT_ID,
                "refresh_token": tokens["refresh_token"]}))
        except (urllib.error.URLError, InvalidToken, KeyError, ValueError):
            request.session.pop(SESSION_KEY, None)
            return None
    try:
        return _principal(tokens["access_token"])
    except InvalidToken:
        request.session.pop(SESSION_KEY, None)
        return None


def principal_of(request: HttpRequest) -> Principal:
    """The user of a page behind `login_required`."""
    principal = getattr(request, "principal", None)
    if not isinstance(principal, Principal):
        raise TypeError("page reached without login_required")
    return principal


def _tenant_zone(tenant: str | None) -> ZoneInfo | None:
    return ZoneInfo(TENANT_TIMEZONES[tenant]) if tenant in TENANT_TIMEZONES else None


def login_required(*roles: str) -> Callable[[View], View]:
    """A page for users holding one of `roles`: others log in first (or get 403).

    A form posted after the login ended is kept for the user, who logs in and comes back to it.
    The page runs in the request's transaction acting for the token's tenant (row-level
    security, as for the API), with times shown in the tenant's own time zone.
    """

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            principal = session_principal(request)
            if principal is None:
                if request.method == "POST":
                    drafts.keep(request)
                query = urllib.parse.urlencode({"next": request.get_full_path()})
                return HttpResponseRedirect(f"{reverse('web-login')}?{query}")
            request.principal = principal  # type: ignore[attr-defined]
            activate_tenant(principal.tenant)
            if not principal.has_role(*roles):
                return render(request, "web/error.html", {
                    "title": _("Not for your role"),
                    "message": _("Your role may not open this page."),
                }, status=403)
            zone = _tenant_zone(principal.tenant)
            with timezone.override(zone):
                return view(request, *args, **kwargs)

        return wrapper

    return decorate
