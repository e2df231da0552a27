"""A centre's own figures for the current quarter, for its manager.

They are the statistics API's summary for the centre (`analytics_stream.stats_apis.
summary_for`, the rule the API and the dashboard follow): counts read from ClickHouse, with the
small cells of a view below the tenant withheld. When ClickHouse does not answer, the page says
the figures are unavailable for now instead of failing.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from analytics_stream.stats_apis import StatisticsUnavailable, summary_for
from intake.apis import CENTRE_EDITORS
from services.web import labels
from services.web.centres import centre_of
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


@login_required(*CENTRE_EDITORS)
def figures(request: HttpRequest, centre_id: UUID) -> HttpResponse:
    principal = principal_of(request)
    centre = centre_of(principal, centre_id)
    start, end = quarter_of(timezone.localdate())
    try:
        summary = summary_for(principal, {"from": start.isoformat(), "to": end.isoformat(),
                                          "centre_id": str(centre.id)})
    except StatisticsUnavailable:
        return render(request, "web/centres/figures.html", {
            "centre": centre, "start": start, "end": end, "summary": None}, status=503)
    sessions = [s for s in summary.get("group_sessions", []) if centre.name in s["centres"]]
    return render(request, "web/centres/figures.html", {
        "centre": centre, "start": start, "end": end, "summary": summary,
        "services": _service_mix(summary), "sessions": sessions,
        "withheld_below": summary.get("small_cells_withheld_below")})
