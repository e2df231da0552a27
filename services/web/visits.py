"""Recording a visit from the client's page, in under a minute, and correcting one.

The compact form comes filled in with what is nearly always the same: the centre where this
counsellor last recorded a visit (or the tenant's only centre) and the current time, in person.
What is left are a few ticks and, if needed, a note. The visit is checked by the API's own
serializer and stored by `intake.services.visit_record`, as the API does.

A recorded visit is corrected on its own page, reached from the client's timeline: the form is
based on the version the user saw, checked by the API's `VisitCorrectionSerializer` and stored by
`intake.services.visit_correct` with only the values that changed; a change someone else saved
first is shown beside the user's values (409), which stay in the form.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from rest_framework.exceptions import NotFound, ValidationError

from intake.models import Client, Visit
from intake.selectors import centre_list
from intake.services import visit_correct, visit_record
from intake.visit_apis import VisitCorrectionSerializer, VisitInputSerializer
from services.api.concurrency import VersionConflict
from services.auth.tokens import Principal
from services.web import drafts, labels
from services.web.audit import audit_read
from services.web.conflicts import Difference, differences, on_current_version
from services.web.forms import VisitCorrectionForm, VisitForm
from services.web.layout import STAFF
from services.web.oidc import login_required, principal_of


def centre_choices(principal: Principal) -> list[tuple[str, str]]:
    """The tenant's open centres, where a visit may be recorded."""
    return [(str(c.id), c.name) for c in centre_list(principal=principal, active=True)
            .order_by("name")]


def _usual_centre(principal: Principal, centres: list[tuple[str, str]]) -> str:
    last = (Visit.objects.filter(tenant_id=principal.tenant,
                                 counsellor_subject=principal.subject,
                                 centre__active=True)
            .order_by("-created_at").values_list("centre_id", flat=True).first())
    if last is not None:
        return str(last)
    return centres[0][0] if centres else ""


def visit_form(principal: Principal, data: QueryDict | None = None,
               restored: QueryDict | None = None) -> VisitForm:
    """The form, bound to posted input, or filled in with the usual values (or a draft)."""
    centres = centre_choices(principal)
    if data is not None:
        return VisitForm(data, centres=centres)
    now = timezone.localtime().replace(second=0, microsecond=0)
    initial: dict[str, Any] = {"centre_id": _usual_centre(principal, centres),
                               "occurred_at": now, "channel": "in_person"}
    if restored is not None:
        initial.update({name: restored.getlist(name) if name in ("services", "topics")
                        else restored.get(name) for name in restored})
    return VisitForm(initial=initial, centres=centres)


def record(principal: Principal, client: Client, data: QueryDict) -> tuple[VisitForm, bool]:
    """Record the posted visit of `client`: the form (with any objections) and whether saved."""
    form = visit_form(principal, data)
    if not form.is_valid():
        return form, False
    checked = form.validated_by(VisitInputSerializer, form.contract_data(str(client.id)))
    if checked is None:
        return form, False
    try:
        with transaction.atomic():
            visit_record(actor=principal, **checked)
    except ValidationError as refused:
        detail = refused.detail
        form.add_service_objections(detail if isinstance(detail, dict) else {"": detail})
        return form, False
    return form, True


# --- Correcting a recorded visit ---------------------------------------------------------------

# What the correction page shows of the client: their name.
_NAME_FIELDS = ("given_name", "family_name")


def _visit_of(principal: Principal, visit_id: UUID) -> Visit:
    """The tenant's visit of a client not erased; a group session's attendance is corrected
    with its session, not here."""
    return get_object_or_404(
        Visit.objects.filter(tenant_id=principal.tenant, client__erased_at__isnull=True,
                             group_session__isnull=True).select_related("client", "centre"),
        id=visit_id)


def _correction_centres(principal: Principal, visit: Visit) -> list[tuple[str, str]]:
    """The open centres, and the visit's own even if it has closed since."""
    centres = centre_choices(principal)
    if str(visit.centre_id) not in dict(centres):
        centres.append((str(visit.centre_id), visit.centre.name))
    return centres


def _saved(visit: Visit) -> dict[str, Any]:
    """The visit's correctable values, shaped as the serializer gives them."""
    return {"centre_id": visit.centre_id, "occurred_at": visit.occurred_at,
            "channel": visit.channel, "services": sorted(visit.services),
            "topics": sorted(visit.topics),
            "destinations_discussed": list(visit.destinations_discussed), "note": visit.note}


def _same(name: str, saved: Any, typed: Any) -> bool:
    if name in ("services", "topics"):
        return sorted(set(saved)) == sorted(set(typed))
    if name == "occurred_at" and isinstance(saved, datetime) and isinstance(typed, datetime):
        return saved.replace(second=0, microsecond=0) == typed.replace(second=0, microsecond=0)
    return bool(saved == typed)


def _shown(centres: dict[str, str]) -> Any:
    def shown(name: str, value: Any) -> str:
        if value is None or value in ("", []):
            return "–"
        if name == "centre_id":
            return centres.get(str(value), str(value))
        if name == "occurred_at":
            when = datetime.fromisoformat(value) if isinstance(value, str) else value
            return date_format(timezone.localtime(when), "SHORT_DATETIME_FORMAT")
        if name == "channel":
            return str(labels.label(labels.CHANNELS, value))
        if name in ("services", "topics"):
            words = labels.VISIT_SERVICES if name == "services" else labels.TOPICS
            return ", ".join(str(labels.label(words, code)) for code in sorted(value))
        if isinstance(value, list | tuple):
            return ", ".join(str(item) for item in value)
        return str(value)
    return shown


def _conflict(visit: Visit, typed: dict[str, Any], form: VisitCorrectionForm,
              centres: list[tuple[str, str]]) -> list[Difference]:
    fields = ((name, form.fields[name].label or name) for name in VisitCorrectionForm.FIELDS)
    return differences(fields, _saved(visit), typed, _shown(dict(centres)))


def _initial(visit: Visit, restored: QueryDict | None) -> dict[str, Any]:
    if restored is not None:
        return {name: restored.getlist(name) if name in ("services", "topics")
                else restored.get(name) for name in restored}
    return {"centre_id": str(visit.centre_id),
            "occurred_at": timezone.localtime(visit.occurred_at).replace(second=0,
                                                                           microsecond=0),
            "channel": visit.channel, "services": list(visit.services),
            "topics": list(visit.topics),
            "destinations_discussed": ", ".join(visit.destinations_discussed),
            "note": visit.note, "version": visit.version}


@login_required(*STAFF)
def correct(request: HttpRequest, visit_id: UUID) -> HttpResponse:
    """Correct a recorded visit, based on the version the user saw."""
    principal = principal_of(request)
    visit = _visit_of(principal, visit_id)
    centres = _correction_centres(principal, visit)
    conflict: list[Difference] | None = None
    restored = None
    if request.method == "POST":
        form = VisitCorrectionForm(request.POST, centres=centres)
        data = form.contract_data(str(visit.client_id)) if form.is_valid() else None
        if data is not None:
            data.pop("client_id")
            data = form.validated_by(VisitCorrectionSerializer, data)
        if data is not None:
            saved = _saved(visit)
            changes = {name: value for name, value in data.items()
                       if not _same(name, saved[name], value)}
            try:
                with transaction.atomic():
                    visit_correct(actor=principal, visit_id=visit.id, changes=changes,
                                  expected_version=form.cleaned_data["version"] or 0)
            except NotFound as gone:
                raise Http404("not found") from gone
            except VersionConflict:
                visit = _visit_of(principal, visit_id)
                centres = _correction_centres(principal, visit)
                conflict = _conflict(visit, data, form, centres)
                form = on_current_version(VisitCorrectionForm, request.POST, visit.version,
                                          centres=centres)
            except ValidationError as refused:
                detail = refused.detail
                form.add_service_objections(detail if isinstance(detail, dict)
                                            else {"": detail})
            else:
                url = reverse("web-client", args=[visit.client_id])
                return HttpResponseRedirect(f"{url}?corrected=1#timeline-heading")
    else:
        restored = drafts.take(request, principal)
        form = VisitCorrectionForm(initial=_initial(visit, restored), centres=centres)
    audit_read(request, principal, action="read", client_ids=[visit.client_id],
               fields=_NAME_FIELDS)
    return render(request, "web/clients/visit_edit.html", {
        "visit": visit, "client": visit.client, "form": form, "conflict": conflict,
        "restored": restored is not None,
    }, status=409 if conflict is not None else 200)
