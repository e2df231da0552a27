"""A client's record through the pages: registering a new client, consent first, with possible
duplicates shown before anything is saved; and changing the record without overwriting someone
else's change.

Consent is the first step because no personal data may be stored without it: the details form
is only shown once the counsellor has confirmed the client's consent, and it carries that
confirmation signed, so the details cannot be sent without it. The record itself is judged and
stored by `intake.services` (`client_register`, `client_update`) after the API's own serializer
has checked the input, so the page accepts and refuses exactly what the API does: a probable
duplicate (`PossibleDuplicate`) is shown with links to the candidates and a "this is a new
person" confirmation, a stale version (`VersionConflict`) with both versions side by side.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from django.core import signing
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound

from intake.client_apis import ClientInputSerializer
from intake.models import Client
from intake.services import PERSONAL_FIELDS, PossibleDuplicate, client_register, client_update
from services.api.concurrency import VersionConflict
from services.auth.tokens import Principal
from services.web import drafts, labels
from services.web.audit import audit_read, origin_of
from services.web.conflicts import Difference, differences, on_current_version
from services.web.forms import ClientForm, ConsentForm
from services.web.layout import STAFF
from services.web.oidc import login_required, principal_of

CONSENT_SALT = "services.web.registration.consent"
# A confirmed consent is good for one sitting with the client, not for another day.
CONSENT_VALID_SECONDS = 12 * 3600

_CODED = {"sex": labels.SEXES, "category": labels.CATEGORIES,
          "education_level": labels.EDUCATION_LEVELS, "employment_status": labels.EMPLOYMENT,
          "occupation_isco": labels.OCCUPATIONS, "migration_intention": labels.INTENTIONS,
          "permit_status": labels.PERMITS}


@dataclass(frozen=True)
class Consent:
    """The client's consent as the counsellor confirmed it."""

    given_at: datetime
    scope: str

    def token(self, principal: Principal) -> str:
        return signing.dumps({"at": self.given_at.isoformat(), "scope": self.scope,
                              "by": principal.subject}, salt=CONSENT_SALT)


def consent_of(data: QueryDict, principal: Principal) -> Consent | None:
    """The consent the form carries, if this user confirmed it lately; else None."""
    try:
        signed = signing.loads(data.get("consent", ""), salt=CONSENT_SALT,
                               max_age=CONSENT_VALID_SECONDS)
    except signing.BadSignature:
        return None
    if not isinstance(signed, dict) or signed.get("by") != principal.subject:
        return None
    return Consent(datetime.fromisoformat(str(signed["at"])), str(signed["scope"]))


def stay_value(stay: Mapping[str, Any]) -> str:
    """A previous stay abroad as a person reads it: "DE, Work, 2015–2018"."""
    years = "–".join(str(stay[end]) for end in ("year_from", "year_to")
                     if stay.get(end) is not None)
    parts = [str(stay["country"]), str(labels.label(labels.STAY_PURPOSES, stay["purpose"])),
             years]
    return ", ".join(part for part in parts if part)


def stays_of(client: Client) -> list[dict[str, Any]]:
    """The client's stored stays in the API's shape."""
    return [{"country": s.country, "purpose": s.purpose, "year_from": s.year_from,
             "year_to": s.year_to} for s in client.stays.all()]


def client_value(name: str, value: Any) -> str:
    """A field's value as a person reads it, whether stored or typed."""
    if value is None or value in ("", []):
        return "–"
    if name == "stays":
        return "; ".join(stay_value(stay) for stay in value)
    if name in _CODED:
        return str(labels.label(_CODED[name], str(value)))
    if name == "urban":
        return _("Urban") if value in (True, "true") else _("Rural")
    if name == "birth_date":
        day = date.fromisoformat(value) if isinstance(value, str) else value
        return date_format(day, "SHORT_DATE_FORMAT")
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    return str(value)


def _contract(form: ClientForm) -> dict[str, Any] | None:
    """The input as `ClientInputSerializer` accepts it, or None (its objections on the form)."""
    data = form.validated_by(ClientInputSerializer, form.contract_data())
    if data is not None:
        data.pop("confirm_new", None)
        data.pop("consent", None)
    return data


def _consent_step(request: HttpRequest, form: ConsentForm, *, expired: bool = False,
                  status: int = 200) -> HttpResponse:
    return render(request, "web/clients/register.html", {
        "step": "consent", "consent_form": form, "consent_expired": expired}, status=status)


def _details_step(request: HttpRequest, principal: Principal, consent: Consent,
                  form: ClientForm, *, candidates: list[Client] | None = None,
                  restored: bool = False, status: int = 200) -> HttpResponse:
    return render(request, "web/clients/register.html", {
        "step": "details", "form": form, "consent": consent,
        "consent_token": consent.token(principal),
        "consent_scope": labels.label(labels.CONSENT_SCOPES, consent.scope),
        "candidates": candidates or [], "restored": restored}, status=status)


@login_required(*STAFF)
def register(request: HttpRequest) -> HttpResponse:
    """Step one, the client's consent; step two, who the client is; between them and saving,
    the clients this one may already be."""
    principal = principal_of(request)
    if request.method != "POST":
        restored = drafts.take(request, principal)
        consent = consent_of(restored, principal) if restored is not None else None
        if restored is not None and consent is not None:
            return _details_step(request, principal, consent,
                                 ClientForm(initial=restored.dict()), restored=True)
        return _consent_step(request, ConsentForm())
    if request.POST.get("step") == "consent":
        consent_form = ConsentForm(request.POST)
        if not consent_form.is_valid():
            return _consent_step(request, consent_form)
        consent = Consent(timezone.now(), consent_form.cleaned_data["scope"])
        return _details_step(request, principal, consent, ClientForm())
    consent = consent_of(request.POST, principal)
    if consent is None:
        return _consent_step(request, ConsentForm(), expired=True, status=400)
    form = ClientForm(request.POST)
    data = _contract(form) if form.is_valid() else None
    if data is None:
        return _details_step(request, principal, consent, form)
    try:
        with transaction.atomic():
            client = client_register(
                actor=principal, data=data, origin=origin_of(request),
                consent={"given_at": consent.given_at, "scope": consent.scope},
                confirm_new=request.POST.get("confirm_new") == "1")
    except PossibleDuplicate as duplicate:
        audit_read(request, principal, action="list",
                   client_ids=[c.id for c in duplicate.candidates], fields=PERSONAL_FIELDS)
        return _details_step(request, principal, consent, form,
                             candidates=duplicate.candidates, status=409)
    url = reverse("web-client", args=[client.id])
    return HttpResponseRedirect(f"{url}?registered=1")


def _live_client(principal: Principal, client_id: UUID) -> Client:
    return get_object_or_404(
        Client.objects.filter(tenant_id=principal.tenant, erased_at__isnull=True), id=client_id)


def _conflict(client: Client, form: ClientForm) -> list[Difference]:
    theirs = {name: getattr(client, name) for name in ClientForm.FIELDS}
    theirs["stays"] = stays_of(client)
    yours = form.contract_data()
    return differences(((name, labels.CLIENT_FIELDS[name])
                        for name in (*ClientForm.FIELDS, "stays")),
                       theirs, yours, client_value)


@login_required(*STAFF)
def edit(request: HttpRequest, client_id: UUID) -> HttpResponse:
    """Change a client's record, based on the version the user saw."""
    principal = principal_of(request)
    client = _live_client(principal, client_id)
    conflict: list[Difference] | None = None
    restored = None
    if request.method == "POST":
        form = ClientForm(request.POST)
        data = _contract(form) if form.is_valid() else None
        if data is not None:
            try:
                with transaction.atomic():
                    client_update(actor=principal, client_id=client.id, data=data,
                                  expected_version=form.cleaned_data["version"] or 0,
                                  origin=origin_of(request))
            except NotFound as gone:
                raise Http404("not found") from gone
            except VersionConflict:
                client = _live_client(principal, client_id)
                conflict = _conflict(client, form)
                form = on_current_version(ClientForm, request.POST, client.version)
            else:
                url = reverse("web-client", args=[client.id])
                return HttpResponseRedirect(f"{url}?saved=1")
    else:
        restored = drafts.take(request, principal)
        form = ClientForm(initial=restored.dict() if restored is not None
                          else ClientForm.initial_of(client))
    audit_read(request, principal, action="read", client_ids=[client.id], fields=PERSONAL_FIELDS)
    return render(request, "web/clients/edit.html", {
        "client": client, "form": form, "conflict": conflict,
        "restored": restored is not None,
    }, status=409 if conflict is not None else 200)
