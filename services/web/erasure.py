"""Erasing a client's personal data, for the tenant administrator, after a confirmation.

Erasure cannot be undone, so the page first says what goes and what stays, and asks for the
client's name to be typed again (compared the way names are everywhere, by `intake.names.
name_key`: script, diacritics and case do not matter). The erasure itself is
`intake.services.client_erase`, as through the API.
"""

from __future__ import annotations

from uuid import UUID

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound

from intake.models import Client, Visit
from intake.names import name_key
from intake.services import client_erase
from referrals.selectors import staff_referrals
from services.auth.tokens import Role
from services.web import drafts
from services.web.audit import audit_read, origin_of
from services.web.forms import EraseForm
from services.web.oidc import login_required, principal_of

_SHOWN_FIELDS = ("given_name", "family_name", "birth_year", "birth_date")


def confirmed(client: Client, typed: str) -> bool:
    """Whether the typed text is the client's full name (either order)."""
    key = name_key(typed)
    return bool(key) and key in (name_key(f"{client.given_name} {client.family_name}"),
                                 name_key(f"{client.family_name} {client.given_name}"))


@login_required(Role.TENANT_ADMIN)
def erase(request: HttpRequest, client_id: UUID) -> HttpResponse:
    principal = principal_of(request)
    client = get_object_or_404(
        Client.objects.filter(tenant_id=principal.tenant, erased_at__isnull=True), id=client_id)
    restored = drafts.take(request, principal) if request.method != "POST" else None
    form = EraseForm(request.POST if request.method == "POST" else None,
                     initial=restored.dict() if restored is not None else None)
    if form.is_bound and form.is_valid():
        if not confirmed(client, form.cleaned_data["confirmation"]):
            form.add_error("confirmation", _("This is not the client’s name as shown above."))
        else:
            try:
                with transaction.atomic():
                    client_erase(actor=principal, client_id=client.id,
                                 origin=origin_of(request))
            except NotFound as gone:
                raise Http404("not found") from gone
            return HttpResponseRedirect(f"{reverse('web-clients')}?erased=1")
    audit_read(request, principal, action="read", client_ids=[client.id], fields=_SHOWN_FIELDS)
    return render(request, "web/clients/erase.html", {
        "client": client, "form": form, "restored": restored is not None,
        "visits": Visit.objects.filter(tenant_id=principal.tenant, client=client).count(),
        "referrals": staff_referrals(principal).filter(client=client).count()})
