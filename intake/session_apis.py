"""Group session API: centre managers record sessions and who attended."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from intake.models import GroupSession
from intake.services import group_session_record
from intake.visit_apis import has_happened
from services.api.concurrency import versioned_response
from services.api.idempotency import idempotent
from services.api.pagination import StableCursorPagination, paginated_response
from services.api.serializers import StrictFieldsMixin
from services.auth.permissions import request_principal, roles_required
from services.auth.tokens import Role

SESSION_STAFF = (Role.COUNSELLOR, Role.CENTRE_MANAGER, Role.TENANT_ADMIN)
SESSION_EDITORS = (Role.CENTRE_MANAGER, Role.TENANT_ADMIN)


class GroupSessionInputSerializer(StrictFieldsMixin, serializers.Serializer[dict[str, Any]]):
    centre_id = serializers.UUIDField()
    topic = serializers.CharField(max_length=200)
    held_at = serializers.DateTimeField(validators=[has_happened])
    facilitators = serializers.ListField(child=serializers.CharField(max_length=200),
                                         required=False, default=list, max_length=20)
    partner_institution = serializers.CharField(max_length=200, required=False,
                                                allow_blank=True, default="")
    attendee_ids = serializers.ListField(child=serializers.UUIDField(), min_length=1,
                                         max_length=500)

    class Meta:
        component_name = "GroupSessionInput"


class GroupSessionOutputSerializer(serializers.ModelSerializer[GroupSession]):
    attendee_ids = serializers.SerializerMethodField()

    class Meta:
        model = GroupSession
        fields = ["id", "version", "centre_id", "topic", "held_at", "facilitators",
                  "partner_institution", "attendee_ids", "created_at"]
        read_only_fields = fields
        component_name = "GroupSession"

    def get_attendee_ids(self, session: GroupSession) -> list[str]:
        return sorted(str(visit.client_id) for visit in session.attendances.all())


class GroupSessionListApi(APIView):
    """`GET /api/v1/group-sessions`; `POST` (centre managers, tenant admins) records one."""

    pagination_class = StableCursorPagination

    def get_permissions(self) -> list[Any]:
        roles = SESSION_STAFF if self.request.method == "GET" else SESSION_EDITORS
        return [roles_required(*roles)()]

    @extend_schema(responses=GroupSessionOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        sessions = (GroupSession.objects.filter(tenant_id=request_principal(request).tenant)
                    .prefetch_related("attendances"))
        return paginated_response(request, self, sessions, GroupSessionOutputSerializer)[1]

    @extend_schema(request=GroupSessionInputSerializer,
                   responses={201: GroupSessionOutputSerializer})
    @idempotent
    def post(self, request: Request) -> Response:
        payload = GroupSessionInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        session = group_session_record(actor=request_principal(request),
                                       **payload.validated_data)
        return versioned_response(GroupSessionOutputSerializer(session).data, session.version,
                                  status.HTTP_201_CREATED)
