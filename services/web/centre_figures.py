"""A centre's own figures for a period, the current quarter unless another is chosen, for its
manager.

The period is a quarter (`?quarter=2026Q4`) or whole months (`?from=2026-01&to=2026-06`), from a
small picker; input that is not a period shows the current quarter with the picker's objection
beside it, never an error page.

They are the statistics API's summary for the centre (`analytics_stream.stats_apis.
summary_for`, the rule the API and the dashboard follow): counts read from ClickHouse, with the
small cells of a view below the tenant withheld. When ClickHouse does not answer, the page says
the figures are unavailable for now instead of failing.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext
from rest_framework.exceptions import ValidationError

from analytics_stream.stats_apis import StatisticsUnavailable, summary_for
from intake.apis import CENTRE_EDITORS
from services.web import labels
from services.web.centres import centre_of
from services.web.forms import PeriodForm
from services.web.oidc import login_required, principal_of


def quarter_of(day: date) -> tuple[date, date]:
    """The first and last day of the calendar quarter of `day`."""
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = date(day.year, first_month, 1)
    following = (date(day.year + 1, 1, 1) if first_month == 10
                 else date(day.year, first_month + 3, 1))
    return start, following - timedelta(days=1)


def _service_mix(summary: dict[str, Any]) -> list[tuple[str, int | None]]:
    services: dict[str, int | None] = summary.get("services") or {}
    return [(str(labels.label(labels.VISIT_SERVICES, code)), services.get(code))
            for code in labels.VISIT_SERVICES]


def quarter_name(start: date) -> str:
    """"2026Q4" for a quarter's first day."""
    return f"{start.year}Q{(start.month - 1) // 3 + 1}"


def period_of(form: PeriodForm, today: date) -> tuple[date, date]:
    """The first and last day of the period the picker asks for; the quarter of `today` when it
    asks for none (or for something that is not a period)."""
    months = form.months()
    if months is None:
        return quarter_of(today)
    first, last = months
    return first, date(last.year, last.month, calendar.monthrange(last.year, last.month)[1])


@login_required(*CENTRE_EDITORS)
def figures(request: HttpRequest, centre_id: UUID) -> HttpResponse:
    principal = principal_of(request)
    centre = centre_of(principal, centre_id)
    today = timezone.localdate()
    asked = {name: request.GET.get(name, "").strip() for name in ("quarter", "from", "to")}
    if not any(asked.values()):  # the picker shows the quarter shown
        asked["quarter"] = quarter_name(quarter_of(today)[0])
    form = PeriodForm(asked)
    start, end = period_of(form, today)
    context: dict[str, Any] = {"centre": centre, "form": form}
    try:
        summary = summary_for(principal, {"from": start.isoformat(), "to": end.isoformat(),
                                          "centre_id": str(centre.id)}).summary
    except ValidationError:  # a period the statistics refuse: the current quarter instead
        form.add_error("quarter", gettext("Choose another period: the figures of this one "
                                          "cannot be shown."))
        start, end = quarter_of(today)
        try:
            summary = summary_for(principal, {"from": start.isoformat(), "to": end.isoformat(),
                                              "centre_id": str(centre.id)}).summary
        except StatisticsUnavailable:
            summary = None
    except StatisticsUnavailable:
        summary = None
    context.update({"start": start, "end": end, "current": (start, end) == quarter_of(today),
                    "quarter": quarter_name(start) if quarter_of(start) == (start, end)
                    else ""})
    if summary is None:
        return render(request, "web/centres/figures.html", {**context, "summary": None},
                      status=503)
    sessions = [s for s in summary.get("group_sessions", []) if centre.name in s["centres"]]
    return render(request, "web/centres/figures.html", {
        **context, "summary": summary,
        "services": _service_mix(summary), "sessions": sessions,
        "withheld_below": summary.get("small_cells_withheld_below")})
