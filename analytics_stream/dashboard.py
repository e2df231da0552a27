"""The live dashboard of the regional office: `/dashboard/` and the figures it polls.

The page is server-rendered and fetches `/dashboard/data` every two seconds with the session's
login (no token in the browser), so it follows new visits by itself. The data are the statistics
API's summary for the same user, under the same rules (small cells withheld across tenants).
"""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from rest_framework.exceptions import APIException

from analytics_stream.statistics import SUMMARY_CACHE_SECONDS
from analytics_stream.stats_apis import STATS_ROLES, age_header, summary_for
from services.api.errors import api_error_body
from services.auth.tokens import Principal
from services.web.oidc import login_required

REFRESH_MILLISECONDS = 2000
# After new visits, a poll waits this long for the figures to be counted again, and else shows
# the previous ones while the count goes on: a small tenant's figures are counted in well under a
# second, a large region's quarter takes seconds. The page says how old the figures it shows
# are, so it takes any the cache still holds (stale-while-revalidate): opened after a quiet
# spell, it shows the last figures at once, marked with their age, instead of nothing while
# the region's quarter is counted again.
RECOUNT_WAIT_SECONDS = 1.0
MAX_STALE_SECONDS = float(SUMMARY_CACHE_SECONDS)


def _quarter_of(day: date) -> tuple[date, date]:
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = date(day.year, first_month, 1)
    end_month = first_month + 2
    end = (date(day.year + 1, 1, 1) if end_month == 12
           else date(day.year, end_month + 1, 1))
    return start, date.fromordinal(end.toordinal() - 1)


@login_required(*STATS_ROLES)
def dashboard(request: HttpRequest) -> HttpResponse:
    principal: Principal = request.principal  # type: ignore[attr-defined]
    start, end = _quarter_of(date.today())  # noqa: DTZ011 - the current quarter, any zone
    return render(request, "analytics_stream/dashboard.html", {
        "principal": principal, "start": request.GET.get("from", start.isoformat()),
        "end": request.GET.get("to", end.isoformat()), "refresh_ms": REFRESH_MILLISECONDS,
        "regional": principal.tenant is None,
    })


@login_required(*STATS_ROLES)
def dashboard_data(request: HttpRequest) -> JsonResponse:
    principal: Principal = request.principal  # type: ignore[attr-defined]
    try:
        answer = summary_for(principal, request.GET.dict(), max_stale_seconds=MAX_STALE_SECONDS,
                             stale_wait_seconds=RECOUNT_WAIT_SECONDS)
        return JsonResponse(answer.summary, headers=age_header(answer))
    except APIException as refused:  # the API's error body, as the page shows its message
        wait = getattr(refused, "wait", None)
        return JsonResponse(api_error_body(refused, refused.status_code),
                            status=refused.status_code,
                            headers={"Retry-After": str(wait)} if wait else None)
