"""Intake API: views only parse input and call selectors or services."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from intake.models import Centre
from intake.selectors import centre_list
from services.auth.permissions import roles_required
from services.auth.tokens import Principal, Role


class CentreListApi(APIView):
    """`GET /api/v1/centres`: the centres of the caller's tenant."""

    permission_classes = [roles_required(Role.COUNSELLOR, Role.CENTRE_MANAGER, Role.TENANT_ADMIN)]

    class FilterSerializer(serializers.Serializer[dict[str, object]]):
        active = serializers.BooleanField(required=False, allow_null=True, default=None)

        class Meta:
            component_name = "CentreListFilter"

    class OutputSerializer(serializers.ModelSerializer[Centre]):
        class Meta:
            model = Centre
            fields = ["id", "name", "municipality_code", "kind", "active"]
            component_name = "Centre"

    @extend_schema(
        parameters=[OpenApiParameter("active", bool, required=False)],
        responses=OutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        principal = request.user
        assert isinstance(principal, Principal)  # noqa: S101 - guaranteed by the permission class
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        centres = centre_list(principal=principal, active=filters.validated_data["active"])
        return Response({"results": self.OutputSerializer(centres, many=True).data})
