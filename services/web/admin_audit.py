"""Users' activity for the tenant administrator: the audit log of who read or changed which
client's personal data, when and from where, filtered by user, client and dates.

The client filter takes what the search box takes (a name in either script, a birth year, a
phone number, via `services.web.clients.client_search`) or a client's number (id). The names
shown are personal data too, so showing them is itself recorded in the log.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from uuid import UUID

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from intake.models import AuditEntry, Client
from services.auth.tokens import Principal, Role
from services.web import labels
from services.web.audit import audit_read
from services.web.clients import RESULTS_SHOWN, client_search, parse_query
from services.web.forms import AuditFilterForm
from services.web.oidc import login_required, principal_of

PAGE_SIZE = 50
_SHOWN_FIELDS = ("given_name", "family_name")


def _start_of(day: date) -> datetime:
    """Midnight of `day` in the tenant's time zone (the page runs in it)."""
    return timezone.make_aware(datetime.combine(day, time()))


def _clients_matching(principal: Principal, text: str) -> list[UUID]:
    try:
        return [UUID(text)]
    except ValueError:
        query = parse_query(text, this_year=timezone.localdate().year)
        return list(client_search(principal, query).values_list("id", flat=True)
                    [:RESULTS_SHOWN]) if query else []


def filtered(principal: Principal, form: AuditFilterForm) -> QuerySet[AuditEntry]:
    """The tenant's entries that the form's filters ask for, newest first."""
    entries = AuditEntry.objects.filter(tenant_id=principal.tenant)
    if form.is_valid():
        data = form.cleaned_data
        if data["actor"]:
            entries = entries.filter(actor_username=data["actor"])
        if data["client"]:
            entries = entries.filter(client_id__in=_clients_matching(principal, data["client"]))
        if data["start"]:
            entries = entries.filter(at__gte=_start_of(data["start"]))
        if data["end"]:
            entries = entries.filter(at__lt=_start_of(data["end"] + timedelta(days=1)))
    return entries.order_by("-at", "-id")


@login_required(Role.TENANT_ADMIN)
def activity(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    actors = list(AuditEntry.objects.filter(tenant_id=principal.tenant)
                  .values_list("actor_username", flat=True).distinct()
                  .order_by("actor_username"))
    form = AuditFilterForm(request.GET, actors=actors)
    page = Paginator(filtered(principal, form), PAGE_SIZE).get_page(request.GET.get("page"))
    ids = {entry.client_id for entry in page if entry.client_id}
    clients = {c.id: c for c in Client.objects.filter(tenant_id=principal.tenant, id__in=ids)
               .only("id", "given_name", "family_name", "erased_at")}
    rows = [(entry, clients.get(entry.client_id) if entry.client_id else None,
             labels.label(labels.AUDIT_ACTIONS, entry.action),
             ", ".join(str(labels.label(labels.CLIENT_FIELDS, f)) for f in entry.fields))
            for entry in page]
    audit_read(request, principal, action="list", fields=_SHOWN_FIELDS,
               client_ids=[c.id for c in clients.values() if c.erased_at is None])
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "web/admin/activity.html", {
        "form": form, "page": page, "rows": rows, "query": query.urlencode()})
