"""`GET /api/v1/me`: who the caller is, as the API sees them."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from services.auth.tokens import Principal


class MeApi(APIView):
    """The caller's identity, tenant and roles, taken from the validated token."""

    class OutputSerializer(serializers.Serializer[Principal]):
        subject = serializers.CharField()
        username = serializers.CharField()
        tenant = serializers.CharField(allow_null=True)
        roles = serializers.ListField(child=serializers.CharField())
        institution = serializers.CharField(allow_null=True)

        class Meta:
            component_name = "Me"

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request) -> Response:
        principal = request.user
        assert isinstance(principal, Principal)  # noqa: S101 - guaranteed by the permission class
        data = {
            "subject": principal.subject,
            "username": principal.username,
            "tenant": principal.tenant,
            "roles": sorted(principal.roles),
            "institution": principal.institution,
        }
        return Response(self.OutputSerializer(data).data)
