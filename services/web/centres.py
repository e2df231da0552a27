"""The tenant's centres for centre managers and tenant administrators: the list, opening a
centre and changing one without overwriting someone else's change.

The checks are the API's (`intake.apis.CentreInputSerializer`) and the changes go through
`intake.services.centre_create` / `centre_update`, as the API's do; a name the tenant has
already is refused by the service and shown beside the name.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from rest_framework.exceptions import NotFound, ValidationError

from intake.apis import CENTRE_EDITORS, CentreInputSerializer
from intake.models import Centre
from intake.selectors import centre_get, centre_list
from intake.services import centre_create, centre_update
from services.api.concurrency import VersionConflict
from services.auth.tokens import Principal
from services.web import drafts, labels
from services.web.conflicts import Difference, differences, on_current_version
from services.web.forms import CentreForm
from services.web.oidc import login_required, principal_of

_FIELD_LABELS: dict[str, labels.Label] = {
    name: CentreForm.base_fields[name].label or name for name in CentreForm.FIELDS}


def centre_of(principal: Principal, centre_id: UUID) -> Centre:
    """A centre of the user's tenant; another tenant's is not found, like a missing one."""
    try:
        return centre_get(principal=principal, centre_id=centre_id)
    except NotFound as missing:
        raise Http404("not found") from missing


def centre_value(name: str, value: Any) -> str:
    if name == "kind":
        return str(labels.label(labels.CENTRE_KINDS, str(value)))
    if name == "active":
        return str(labels.YES if value else labels.NO)
    return str(value)


def _objections(form: CentreForm, refused: ValidationError) -> None:
    detail = refused.detail
    form.add_service_objections(detail if isinstance(detail, dict) else {"": detail})


@login_required(*CENTRE_EDITORS)
def centres(request: HttpRequest) -> HttpResponse:
    """Every centre of the tenant, open ones first."""
    principal = principal_of(request)
    return render(request, "web/centres/list.html", {
        "centres": centre_list(principal=principal).order_by("-active", "name"),
        "saved": request.GET.get("saved", "")})


@login_required(*CENTRE_EDITORS)
def new_centre(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    restored = drafts.take(request, principal) if request.method != "POST" else None
    form = CentreForm(request.POST if request.method == "POST" else None,
                      initial=restored.dict() if restored is not None else None)
    if form.is_bound and form.is_valid():
        data = form.validated_by(CentreInputSerializer, form.contract_data())
        if data is not None:
            try:
                with transaction.atomic():
                    centre = centre_create(actor=principal, **data)
            except ValidationError as refused:
                _objections(form, refused)
            else:
                return HttpResponseRedirect(f"{reverse('web-centres')}?saved={centre.id}")
    return render(request, "web/centres/edit.html", {
        "form": form, "centre": None, "restored": restored is not None})


@login_required(*CENTRE_EDITORS)
def edit_centre(request: HttpRequest, centre_id: UUID) -> HttpResponse:
    """Change a centre, based on the version the user saw."""
    principal = principal_of(request)
    centre = centre_of(principal, centre_id)
    conflict: list[Difference] | None = None
    restored = None
    if request.method == "POST":
        form = CentreForm(request.POST)
        data = (form.validated_by(CentreInputSerializer, form.contract_data())
                if form.is_valid() else None)
        if data is not None:
            try:
                with transaction.atomic():
                    centre_update(actor=principal, centre_id=centre.id, changes=data,
                                  expected_version=form.cleaned_data["version"] or 0)
            except NotFound as gone:
                raise Http404("not found") from gone
            except VersionConflict:
                centre = centre_of(principal, centre_id)
                conflict = differences(_FIELD_LABELS.items(),
                                       {n: getattr(centre, n) for n in CentreForm.FIELDS},
                                       form.contract_data(), centre_value)
                form = on_current_version(CentreForm, request.POST, centre.version)
            except ValidationError as refused:
                _objections(form, refused)
            else:
                return HttpResponseRedirect(f"{reverse('web-centres')}?saved={centre.id}")
    else:
        restored = drafts.take(request, principal)
        form = CentreForm(initial=restored.dict() if restored is not None else {
            **{name: getattr(centre, name) for name in CentreForm.FIELDS},
            "version": centre.version})
    return render(request, "web/centres/edit.html", {
        "form": form, "centre": centre, "conflict": conflict,
        "restored": restored is not None}, status=409 if conflict is not None else 200)
