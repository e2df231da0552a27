"""Intake API: views only parse input and call selectors or services."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from intake.models import Centre, CentreKind
from intake.selectors import centre_get, centre_list
from intake.services import centre_create, centre_update
from services.api.concurrency import etag, expected_version
from services.api.idempotency import idempotent
from services.api.pagination import StableCursorPagination
from services.auth.permissions import roles_required
from services.auth.tokens import Principal, Role

TENANT_STAFF = (Role.COUNSELLOR, Role.CENTRE_MANAGER, Role.TENANT_ADMIN)
CENTRE_EDITORS = (Role.CENTRE_MANAGER, Role.TENANT_ADMIN)


def _principal(request: Request) -> Principal:
    principal = request.user
    assert isinstance(principal, Principal)  # noqa: S101 - guaranteed by the permission classes
    return principal


class CentreOutputSerializer(serializers.ModelSerializer[Centre]):
    class Meta:
        model = Centre
        fields = ["id", "name", "municipality_code", "kind", "active", "version", "created_at",
                  "updated_at"]
        read_only_fields = fields
        component_name = "Centre"


class CentreInputSerializer(serializers.Serializer[dict[str, Any]]):
    """Writable fields only; anything else in the body (tenant, id, version...) is an error."""

    name = serializers.CharField(max_length=200)
    municipality_code = serializers.CharField(max_length=20)
    kind = serializers.ChoiceField(choices=CentreKind.choices)
    active = serializers.BooleanField(default=True)

    class Meta:
        component_name = "CentreInput"

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: ["this field cannot be set"] for name in unknown})
        validated: dict[str, Any] = super().to_internal_value(data)
        return validated


def _centre_response(centre: Centre, status_code: int = status.HTTP_200_OK) -> Response:
    response = Response(CentreOutputSerializer(centre).data, status=status_code)
    response["ETag"] = etag(centre.version)
    return response


class CentreListApi(APIView):
    """`GET /api/v1/centres`: the centres of the caller's tenant. `POST`: open a centre."""

    class FilterSerializer(serializers.Serializer[dict[str, object]]):
        active = serializers.BooleanField(required=False, allow_null=True, default=None)

        class Meta:
            component_name = "CentreListFilter"

    def get_permissions(self) -> list[Any]:
        roles = TENANT_STAFF if self.request.method == "GET" else CENTRE_EDITORS
        return [roles_required(*roles)()]

    @extend_schema(
        parameters=[OpenApiParameter("active", bool, required=False)],
        responses=CentreOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        centres = centre_list(principal=_principal(request),
                              active=filters.validated_data["active"])
        paginator = StableCursorPagination()
        page = paginator.paginate_queryset(centres, request, view=self) or []
        return paginator.get_paginated_response(CentreOutputSerializer(page, many=True).data)

    @extend_schema(request=CentreInputSerializer, responses={201: CentreOutputSerializer})
    @idempotent
    def post(self, request: Request) -> Response:
        payload = CentreInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        centre = centre_create(actor=_principal(request), **payload.validated_data)
        return _centre_response(centre, status.HTTP_201_CREATED)


class CentreDetailApi(APIView):
    """`GET /api/v1/centres/{id}`, and `PATCH` with `If-Match` to change it."""

    def get_permissions(self) -> list[Any]:
        roles = TENANT_STAFF if self.request.method == "GET" else CENTRE_EDITORS
        return [roles_required(*roles)()]

    @extend_schema(responses=CentreOutputSerializer)
    def get(self, request: Request, centre_id: UUID) -> Response:
        return _centre_response(centre_get(principal=_principal(request), centre_id=centre_id))

    @extend_schema(
        request=CentreInputSerializer,
        parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER, required=True)],
        responses=CentreOutputSerializer,
    )
    def patch(self, request: Request, centre_id: UUID) -> Response:
        payload = CentreInputSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        centre = centre_update(actor=_principal(request), centre_id=centre_id,
                               expected_version=expected_version(request),
                               changes=dict(payload.validated_data))
        return _centre_response(centre)
