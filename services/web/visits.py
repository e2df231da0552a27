"""Recording a visit from the client's page, in under a minute.

The compact form comes filled in with what is nearly always the same: the centre where this
counsellor last recorded a visit (or the tenant's only centre) and the current time, in person.
What is left are a few ticks and, if needed, a note. The visit is checked by the API's own
serializer and stored by `intake.services.visit_record`, as the API does.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import QueryDict
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from intake.models import Client, Visit
from intake.selectors import centre_list
from intake.services import visit_record
from intake.visit_apis import VisitInputSerializer
from services.auth.tokens import Principal
from services.web.forms import VisitForm


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
