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
from services.api.concurrency import IF_MATCH, expected_version, versioned_response
from services.api.idempotency import idempotent
from services.api.pagination import StableCursorPagination, paginated_response
from services.api.serializers import StrictFieldsMixin
from services.auth.permissions import request_principal, roles_required
from services.auth.tokens import Role

TENANT_STAFF = (Role.COUNSELLOR, Role.CENTRE_MANAGER, Role.TENANT_ADMIN)
CENTRE_EDITORS = (Role.CENTRE_MANAGER, Role.TENANT_ADMIN)



class CentreOutputSerializer(serializers.ModelSerializer[Centre]):
    class Meta:
        model = Centre
        fields = ["id", "name", "municipality_code", "kind", "active", "version", "created_at",
                  "updated_at"]
        read_only_fields = fields
        component_name = "Centre"


class CentreInputSerializer(StrictFieldsMixin, serializers.Serializer[dict[str, Any]]):
    """Writable fields only; anything else in the body (tenant, id, version...) is an error."""

    name = serializers.CharField(max_length=200)
    municipality_code = serializers.CharField(max_length=20)
    kind = serializers.ChoiceField(choices=CentreKind.choices)
    active = serializers.BooleanField(default=True)

    class Meta:
        component_name = "CentreInput"


def _centre_response(centre: Centre, status_code: int = status.HTTP_200_OK) -> Response:
    return versioned_response(CentreOutputSerializer(centre).data, centre.version, status_code)


class CentreListApi(APIView):
    """`GET /api/v1/centres`: the centres of the caller's tenant. `POST`: open a centre."""

    pagination_class = StableCursorPagination

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
        centres = centre_list(principal=request_principal(request),
                              active=filters.validated_data["active"])
        return paginated_response(request, self, centres, CentreOutputSerializer)[1]

    @extend_schema(request=CentreInputSerializer, responses={201: CentreOutputSerializer})
    @idempotent
    def post(self, request: Request) -> Response:
        payload = CentreInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        centre = centre_create(actor=request_principal(request), **payload.validated_data)
        return _centre_response(centre, status.HTTP_201_CREATED)


class CentreDetailApi(APIView):
    """`GET /api/v1/centres/{id}`, and `PATCH` with `If-Match` to change it."""

    def get_permissions(self) -> list[Any]:
        roles = TENANT_STAFF if self.request.method == "GET" else CENTRE_EDITORS
        return [roles_required(*roles)()]

    @extend_schema(responses=CentreOutputSerializer)
    def get(self, request: Request, centre_id: UUID) -> Response:
        principal = request_principal(request)
        return _centre_response(centre_get(principal=principal, centre_id=centre_id))

    @extend_schema(
        request=CentreInputSerializer,
        parameters=[IF_MATCH],
        responses=CentreOutputSerializer,
    )
    def patch(self, request: Request, centre_id: UUID) -> Response:
        payload = CentreInputSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        centre = centre_update(actor=request_principal(request), centre_id=centre_id,
                               expected_version=expected_version(request),
                               changes=dict(payload.validated_data))
        return _centre_response(centre)
