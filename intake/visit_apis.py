"""Visit API: record a visit in under a minute, list a tenant's visits."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from intake import choices
from intake.client_apis import CountryCodeField
from intake.models import Visit
from intake.services import visit_correct, visit_record
from services.api.concurrency import IF_MATCH, expected_version, versioned_response
from services.api.idempotency import idempotent
from services.api.pagination import StableCursorPagination, paginated_response
from services.api.serializers import StrictFieldsMixin
from services.auth.permissions import request_principal, roles_required
from services.auth.tokens import Role

VISIT_STAFF = (Role.COUNSELLOR, Role.CENTRE_MANAGER, Role.TENANT_ADMIN)
# How far ahead a device's clock may run (visits recorded offline come with its time).
CLOCK_SKEW = timedelta(days=1)


def has_happened(value: datetime) -> None:
    """A visit or session is recorded once it took place. (A date centuries ahead also made the
    client's age at the visit impossible, and the coded profile failed with a 500.)"""
    if value > timezone.now() + CLOCK_SKEW:
        raise serializers.ValidationError("is in the future")


class VisitInputSerializer(StrictFieldsMixin, serializers.Serializer[dict[str, Any]]):
    client_id = serializers.UUIDField()
    centre_id = serializers.UUIDField()
    occurred_at = serializers.DateTimeField(validators=[has_happened])
    channel = serializers.ChoiceField(choices=choices.Channel.choices)
    services = serializers.ListField(
        child=serializers.ChoiceField(choices=choices.Service.choices), min_length=1)
    topics = serializers.ListField(child=serializers.ChoiceField(choices=choices.Topic.choices),
                                   required=False, default=list)
    destinations_discussed = serializers.ListField(child=CountryCodeField(), required=False,
                                                   default=list, max_length=20)
    note = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")

    class Meta:
        component_name = "VisitInput"


class VisitOutputSerializer(serializers.Serializer[Visit]):
    """A visit as the API shows it (declared fields: built once, not per instance)."""

    id = serializers.UUIDField()
    version = serializers.IntegerField()
    client_id = serializers.UUIDField()
    centre_id = serializers.UUIDField()
    counsellor_username = serializers.CharField()
    occurred_at = serializers.DateTimeField()
    channel = serializers.ChoiceField(choices=choices.Channel.choices)
    services = serializers.ListField(child=serializers.ChoiceField(choices=choices.Service.choices))
    topics = serializers.ListField(child=serializers.ChoiceField(choices=choices.Topic.choices))
    destinations_discussed = serializers.ListField(child=serializers.CharField())
    note = serializers.CharField()
    group_session_id = serializers.UUIDField(allow_null=True)
    created_at = serializers.DateTimeField()

    class Meta:
        component_name = "Visit"


class VisitListApi(APIView):
    """`GET /api/v1/visits?client_id=&centre_id=`; `POST`: record a visit."""

    pagination_class = StableCursorPagination

    permission_classes = [roles_required(*VISIT_STAFF)]

    @extend_schema(parameters=[OpenApiParameter("client_id", str, required=False),
                               OpenApiParameter("centre_id", str, required=False)],
                   responses=VisitOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        visits = Visit.objects.filter(tenant_id=request_principal(request).tenant)
        for name in ("client_id", "centre_id"):
            value = request.query_params.get(name)
            if value:
                try:
                    visits = visits.filter(**{name: UUID(value)})
                except ValueError as exc:
                    raise serializers.ValidationError({name: ["must be a UUID"]}) from exc
        return paginated_response(request, self, visits, VisitOutputSerializer)[1]

    @extend_schema(request=VisitInputSerializer, responses={201: VisitOutputSerializer})
    @idempotent
    def post(self, request: Request) -> Response:
        payload = VisitInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        visit = visit_record(actor=request_principal(request), **payload.validated_data)
        return versioned_response(VisitOutputSerializer(visit).data, visit.version,
                                  status.HTTP_201_CREATED)


class VisitCorrectionSerializer(VisitInputSerializer):
    """The fields of a visit that can be corrected; the client of a visit never changes."""

    client_id = None  # type: ignore[assignment]

    class Meta:
        component_name = "VisitCorrection"


class VisitDetailApi(APIView):
    """`GET /api/v1/visits/{id}`; `PATCH` with `If-Match` corrects it."""

    permission_classes = [roles_required(*VISIT_STAFF)]

    @extend_schema(responses=VisitOutputSerializer)
    def get(self, request: Request, visit_id: UUID) -> Response:
        visit = Visit.objects.filter(tenant_id=request_principal(request).tenant,
                                     id=visit_id).first()
        if visit is None:
            raise NotFound("not found")
        return versioned_response(VisitOutputSerializer(visit).data, visit.version)

    @extend_schema(request=VisitCorrectionSerializer, parameters=[IF_MATCH],
                   responses=VisitOutputSerializer)
    def patch(self, request: Request, visit_id: UUID) -> Response:
        payload = VisitCorrectionSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        visit = visit_correct(actor=request_principal(request), visit_id=visit_id,
                              expected_version=expected_version(request),
                              changes=dict(payload.validated_data))
        return versioned_response(VisitOutputSerializer(visit).data, visit.version)
