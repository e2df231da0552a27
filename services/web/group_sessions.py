"""Group sessions for centre managers: the tenant's sessions, and recording one with who
attended, ticked from a list of the centre's clients (those with a visit there), which the
page lets the user narrow by typing.

The checks are the API's (`intake.session_apis.GroupSessionInputSerializer`) and the session is
stored by `intake.services.group_session_record`, where each attendance becomes a counselling
visit, as through the API.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from intake.models import Client, GroupSession
from intake.services import group_session_record
from intake.session_apis import SESSION_EDITORS, GroupSessionInputSerializer
from services.auth.tokens import Principal
from services.web import drafts
from services.web.audit import audit_read
from services.web.forms import GroupSessionForm
from services.web.oidc import login_required, principal_of
from services.web.visits import centre_choices

LISTED = 200
# As many as one session may have (the API's limit of attendees).
MOST_CLIENTS = 500
_SHOWN_FIELDS = ("given_name", "family_name", "birth_year")


@login_required(*SESSION_EDITORS)
def sessions(request: HttpRequest) -> HttpResponse:
    """The tenant's group sessions, latest first, with how many attended."""
    principal = principal_of(request)
    held = (GroupSession.objects.filter(tenant_id=principal.tenant).select_related("centre")
            .annotate(attendees=Count("attendances")).order_by("-held_at", "-id")[:LISTED])
    return render(request, "web/sessions/list.html", {
        "sessions": held, "saved": "saved" in request.GET})


def centre_clients(principal: Principal, centre_id: str) -> list[Client]:
    """The clients who have had a visit at the centre, by name."""
    return list(Client.objects.filter(tenant_id=principal.tenant, erased_at__isnull=True,
                                      visits__centre_id=centre_id)
                .distinct().order_by("family_name", "given_name", "id")[:MOST_CLIENTS])


def _attendee_choices(clients: list[Client]) -> list[tuple[str, str]]:
    return [(str(c.id), f"{c.family_name}, {c.given_name} ({c.birth_year})") for c in clients]


@login_required(*SESSION_EDITORS)
def new_session(request: HttpRequest) -> HttpResponse:
    """First the centre, then the session and its attendance."""
    principal = principal_of(request)
    centres = centre_choices(principal)
    restored = drafts.take(request, principal) if request.method != "POST" else None
    source = request.POST if request.method == "POST" else (restored or request.GET)
    chosen = source.get("centre") or (centres[0][0] if len(centres) == 1 else "")
    centre = next(((cid, name) for cid, name in centres if cid == chosen), None)
    if centre is None:
        return render(request, "web/sessions/new.html", {"centres": centres, "centre": None})
    clients = centre_clients(principal, centre[0])
    choices = _attendee_choices(clients)
    if request.method == "POST":
        form = GroupSessionForm(request.POST, clients=choices)
        data = (form.validated_by(GroupSessionInputSerializer, form.contract_data(centre[0]))
                if form.is_valid() else None)
        if data is not None:
            try:
                with transaction.atomic():
                    group_session_record(actor=principal, **data)
            except ValidationError as refused:
                detail = refused.detail
                form.add_service_objections(detail if isinstance(detail, dict)
                                            else {"": detail})
            else:
                return HttpResponseRedirect(f"{reverse('web-sessions')}?saved=1")
    else:
        initial: dict[str, Any] = {
            "held_at": timezone.localtime().replace(second=0, microsecond=0)}
        if restored is not None:
            initial.update({name: restored.getlist(name) if name == "attendee_ids"
                            else restored.get(name) for name in restored})
        form = GroupSessionForm(initial=initial, clients=choices)
    audit_read(request, principal, action="list", client_ids=[c.id for c in clients],
               fields=_SHOWN_FIELDS)
    return render(request, "web/sessions/new.html", {
        "centres": centres, "centre": centre, "form": form, "clients": clients,
        "restored": restored is not None, "most": MOST_CLIENTS})
