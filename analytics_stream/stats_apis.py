"""`GET /api/v1/stats/summary`: the programme's figures for a period, read from ClickHouse.

Who sees what: the regional monitor sees every tenant (or one), always with small cells withheld;
a tenant's staff see their own tenant, in full, and with small cells withheld when they narrow it
to one centre. Partners see no statistics.

The `referrals` section counts the referrals sent in the period as they stand now, per tenant,
institution and need (`analytics_stream.referral_figures`); a centre's view says it has none, as
referrals are sent by a tenant, not by a centre.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Any

from clickhouse_driver.errors import Error as ClickHouseError
from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics_stream.statistics import (
    SUMMARY_CACHE_SECONDS,
    Answer,
    CountInProgress,
    Scope,
    current_summary,
)
from services.auth.permissions import request_principal, roles_required
from services.auth.tokens import Principal, Role
from services.tenancy.models import TENANT_CODES

STATS_ROLES = (Role.COUNSELLOR, Role.CENTRE_MANAGER, Role.TENANT_ADMIN, Role.REGIONAL_MONITOR)
LONGEST_PERIOD = timedelta(days=5 * 366)


class StatisticsUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "statistics_unavailable"
    default_detail = "the statistics store is not answering; try again in a minute"
    wait = 60  # Retry-After


class StatisticsCounting(StatisticsUnavailable):
    """A count longer than a request may wait: it goes on, and the next request gets it."""

    default_code = "statistics_counting"

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(f"these figures are being counted (a long period or a busy store); "
                         f"ask again in {retry_after_seconds} seconds. While visits keep "
                         f"arriving, a long count is outdated when it ends: to get its figures, "
                         f"ask with Cache-Control: max-stale=<seconds>")
        self.wait = retry_after_seconds


class SummaryQuerySerializer(serializers.Serializer[dict[str, Any]]):
    """The query string; `from` and `to` are Python keywords, so the fields are made here."""

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        return {
            "from": serializers.DateField(source="start", help_text="first day, YYYY-MM-DD"),
            "to": serializers.DateField(source="end", help_text="last day (inclusive)"),
            "tenant": serializers.ChoiceField(choices=sorted(TENANT_CODES), required=False),
            "centre_id": serializers.UUIDField(required=False),
        }

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        unknown = sorted(set(data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({name: ["unknown parameter"] for name in unknown})
        result: dict[str, Any] = super().to_internal_value(data)
        return result

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"to": ["is before from"]})
        if attrs["end"] - attrs["start"] > LONGEST_PERIOD:
            raise serializers.ValidationError({"to": ["the period may be at most five years"]})
        return attrs


def _whole_months(start: date, end: date) -> bool:
    last_day = calendar.monthrange(end.year, end.month)[1]
    return start.day == 1 and end.day == last_day


class SummaryApi(APIView):
    """The quarterly report's figures for any period, tenant or centre."""

    permission_classes = [roles_required(*STATS_ROLES)]

    @extend_schema(
        parameters=[OpenApiParameter("from", str, required=True, description="YYYY-MM-DD"),
                    OpenApiParameter("to", str, required=True, description="YYYY-MM-DD"),
                    OpenApiParameter("tenant", str, required=False,
                                     description="country code; staff may give only their own"),
                    OpenApiParameter("centre_id", str, required=False),
                    OpenApiParameter("Cache-Control", str, OpenApiParameter.HEADER,
                                     required=False,
                                     description="`max-stale=N` accepts figures counted up to "
                                                 "N seconds ago (then `Age` says how old)")],
        responses={200: dict[str, Any]},
        description="Counts per category; `null` where a cell is withheld because it could "
                    "describe fewer than 10 people (views across tenants or below a tenant, "
                    "whose periods must be whole calendar months). The figures count every "
                    "visit the statistics store holds, unless the request sends "
                    "`Cache-Control: max-stale=N`: then figures counted up to N seconds ago "
                    "may be served at once while they are counted again, and the answer's "
                    "`Age` header says how old they are (a large region's quarter takes "
                    "seconds to count); such figures may also miss the visits of the last "
                    "fraction of a second.")
    def get(self, request: Request) -> Response:
        answer = summary_for(request_principal(request), request.query_params.dict(),
                             max_stale_seconds=accepted_staleness(
                                 request.headers.get("Cache-Control", "")))
        return Response(answer.summary, headers=age_header(answer))


def accepted_staleness(cache_control: str) -> float:
    """Seconds of staleness a request's Cache-Control accepts (RFC 9111 `max-stale`).

    `max-stale=N`: N seconds; `max-stale` alone: any (up to the cache's lifetime); absent,
    malformed, or beside `no-cache` or `max-age=0` (the caller wants current figures): none.
    """
    directives = {}
    for directive in cache_control.split(","):
        name, equals, value = directive.strip().partition("=")
        directives[name.strip().lower()] = (equals, value.strip().strip('"'))
    if "no-cache" in directives or directives.get("max-age", ("", ""))[1] == "0":
        return 0.0
    if "max-stale" not in directives:
        return 0.0
    equals, value = directives["max-stale"]
    if not equals:
        return float(SUMMARY_CACHE_SECONDS)
    if not value.isdigit():
        return 0.0
    return float(min(SUMMARY_CACHE_SECONDS, int(value)))


def age_header(answer: Answer) -> dict[str, str]:
    """`Age: N` (whole seconds) for figures counted before the latest data; none for current."""
    return {"Age": str(int(answer.stale_seconds))} if answer.stale_seconds else {}


def summary_for(principal: Principal, query: dict[str, str], *, max_stale_seconds: float = 0.0,
                stale_wait_seconds: float = 0.0) -> Answer:
    """The summary `principal` may see for `query` (the API's and the dashboard's one rule);
    staleness as `analytics_stream.statistics.current_summary` takes it. A count takes at most
    `settings.STATS_COUNT_WAIT_SECONDS` of the request; a longer one goes on in the background.

    Raises DRF's ValidationError (400), PermissionDenied (403) or StatisticsUnavailable (503).
    """
    parsed = SummaryQuerySerializer(data=query)
    parsed.is_valid(raise_exception=True)
    params = parsed.validated_data
    centre = str(params["centre_id"]) if "centre_id" in params else None
    if principal.has_role(Role.REGIONAL_MONITOR) and principal.tenant is None:
        tenants = (params["tenant"],) if "tenant" in params else tuple(sorted(TENANT_CODES))
        controlled = True
    else:
        if not principal.has_role(*STATS_ROLES) or principal.tenant is None:
            raise PermissionDenied("no statistics for this role")
        if params.get("tenant", principal.tenant) != principal.tenant:
            raise PermissionDenied("staff see their own tenant's statistics only")
        tenants = (principal.tenant,)
        controlled = centre is not None
    if controlled and not _whole_months(params["start"], params["end"]):
        raise serializers.ValidationError({"from": [
            "this view withholds small cells, so its period must be whole calendar months "
            "(from the 1st to the last day of a month)"]})
    scope = Scope(tenants=tenants, start=params["start"], end=params["end"],
                  centre_id=centre, controlled=controlled)
    try:
        return current_summary(scope, max_stale_seconds=max_stale_seconds,
                               stale_wait_seconds=stale_wait_seconds,
                               count_wait_seconds=settings.STATS_COUNT_WAIT_SECONDS)
    except CountInProgress as counting:
        raise StatisticsCounting(counting.retry_after_seconds) from counting
    except (ClickHouseError, OSError, EOFError) as exc:
        raise StatisticsUnavailable from exc
