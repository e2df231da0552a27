"""The tenant's routing settings for its administrator: how much each part of a suggestion's
score weighs, and how long partners have to answer a referral (working days, and the holidays
that do not count).

The input is checked by the API's own serializer (`RoutingSettingsSerializer`, which asks
`referrals.routing.Weights` whether the weights make sense) and saved by the service function
behind the API's `PUT /api/v1/routing/settings` (`referrals.services.routing_settings_update`):
only over the version the user saw, else the other person's settings are shown beside the user's.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.formats import date_format, number_format

from referrals.directory_apis import ROUTING_EDITORS, RoutingSettingsSerializer
from referrals.models import RoutingSettings
from referrals.services import routing_settings_update
from referrals.suggestions import routing_settings, weights_of
from services.api.concurrency import VersionConflict
from services.web import drafts, labels
from services.web.conflicts import Difference, differences, on_current_version
from services.web.forms import RoutingSettingsForm
from services.web.oidc import login_required, principal_of

FIELDS = (*RoutingSettingsForm.WEIGHTS, "answer_working_days", "holidays")


def _initial(row: RoutingSettings) -> dict[str, Any]:
    return {**{name: getattr(row, name) for name in FIELDS[:-1]},
            "holidays": "\n".join(day.isoformat() for day in sorted(row.holidays)),
            "version": row.version}


def settings_value(name: str, value: Any) -> str:
    if name == "holidays":
        return ", ".join(date_format(day, "SHORT_DATE_FORMAT")
                         for day in sorted(value or ())) or "–"
    if isinstance(value, float):
        return number_format(value, decimal_pos=2)
    return str(value)


def shares(row: RoutingSettings) -> list[tuple[str, str]]:
    """Each part's share of a score, as the ranking uses the weights (they are normalised)."""
    normal = weights_of(row).normalised().as_dict()
    return [(str(labels.COMPONENTS[name]), number_format(round(share * 100)))
            for name, share in normal.items()]


@login_required(*ROUTING_EDITORS)
def settings_page(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    row = routing_settings(principal.tenant or "")
    conflict: list[Difference] | None = None
    if request.method == "POST":
        form = RoutingSettingsForm(request.POST)
        data = (form.validated_by(RoutingSettingsSerializer, form.contract_data())
                if form.is_valid() else None)
        if data is not None:
            try:
                routing_settings_update(actor=principal,
                                        expected_version=form.cleaned_data["version"],
                                        changes=data)
            except VersionConflict:
                row = routing_settings(principal.tenant or "")
                yours = {**data, "holidays": form.cleaned_data["holidays"]}
                conflict = differences(
                    ((name, form.fields[name].label or name) for name in FIELDS),
                    {name: getattr(row, name) for name in FIELDS}, yours, settings_value)
                form = on_current_version(RoutingSettingsForm, request.POST, row.version)
            else:
                return HttpResponseRedirect(f"{reverse('web-routing-settings')}?saved=1")
    else:
        restored = drafts.take(request, principal)
        form = RoutingSettingsForm(initial=drafts.initial_of(restored) if restored is not None
                                   else _initial(row))
    return render(request, "web/admin/routing.html", {
        "form": form, "settings": row, "shares": shares(row), "conflict": conflict,
        "saved": "saved" in request.GET}, status=409 if conflict is not None else 200)
