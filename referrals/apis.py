"""Referral API: routing suggestions, referrals and their transitions, notifications, webhooks.

Tenant staff create referrals and see everything about their tenant's referrals; partner users
see only the referrals sent to their institution, through a serializer that carries the minimum
personal data an institution needs (name, contact, need, language), and every such read is in the
audit log.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from intake.client_apis import request_origin
from intake.models import Client
from intake.services import audit_record
from referrals import webhooks
from referrals.models import (
    Notification,
    Organization,
    Referral,
    TaxonomyTerm,
    Webhook,
    WebhookDelivery,
)
from referrals.routing import TARGET_GROUPS
from referrals.selectors import (
    PARTNER_FIELDS,
    notifications_of,
    partner_referrals,
    staff_referrals,
)
from referrals.services import Step, actor_kind, referral_act, referral_create
from referrals.suggestions import RoutingRequest, suggest
from referrals.workflow import Action, Actor, State, allowed_actions
from services.api.concurrency import IF_MATCH_OPTIONAL, expected_version, versioned_response
from services.api.idempotency import idempotent
from services.api.pagination import StableCursorPagination, paginated_response
from services.api.schema import error_response
from services.api.serializers import StrictFieldsMixin
from services.auth.permissions import request_principal, roles_required
from services.auth.tokens import Principal, Role

TENANT_STAFF = (Role.COUNSELLOR, Role.CENTRE_MANAGER, Role.TENANT_ADMIN)
REFERRAL_USERS = (*TENANT_STAFF, Role.PARTNER)


def _languages() -> serializers.ListField:
    code = serializers.RegexField(r"^[a-z]{2}$", max_length=2,
                                  error_messages={"invalid": "an ISO 639-1 code, e.g. 'sq'"})
    return serializers.ListField(child=code, required=False, default=list, max_length=5)


def _target_groups() -> serializers.ListField:
    return serializers.ListField(child=serializers.ChoiceField(choices=sorted(TARGET_GROUPS)),
                                 required=False, default=list)


# --- Routing ----------------------------------------------------------------------------------

class SuggestionInputSerializer(StrictFieldsMixin, serializers.Serializer[dict[str, Any]]):
    client_id = serializers.UUIDField()
    need_id = serializers.UUIDField()
    languages = _languages()
    target_groups = _target_groups()

    class Meta:
        component_name = "RoutingRequest"


def _client(principal: Principal, client_id: UUID) -> Client:
    try:
        return Client.objects.get(tenant_id=principal.tenant, id=client_id,
                                  erased_at__isnull=True)
    except Client.DoesNotExist as missing:
        raise ValidationError({"client_id": ["no such client in your tenant"]}) from missing


def _need(need_id: UUID) -> TaxonomyTerm:
    try:
        return TaxonomyTerm.objects.get(id=need_id)
    except TaxonomyTerm.DoesNotExist as missing:
        raise ValidationError({"need_id": ["no such taxonomy term"]}) from missing


class SuggestionsApi(APIView):
    """`POST /api/v1/routing/suggestions`: the services for a client's need, ranked, explained."""

    permission_classes = [roles_required(*TENANT_STAFF)]

    @extend_schema(request=SuggestionInputSerializer, responses={200: OpenApiTypes.OBJECT})
    def post(self, request: Request) -> Response:
        payload = SuggestionInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        principal = request_principal(request)
        ranking = suggest(RoutingRequest(
            client=_client(principal, data["client_id"]), need=_need(data["need_id"]),
            languages=tuple(data["languages"]), extra_target_groups=tuple(data["target_groups"])),
            timezone.now().date())
        return Response({
            "suggestions": [s.explanation() for s in ranking.suggestions],
            "excluded": [e.explanation() for e in ranking.excluded],
        })


# --- Referrals --------------------------------------------------------------------------------

class ReferralInputSerializer(StrictFieldsMixin, serializers.Serializer[dict[str, Any]]):
    client_id = serializers.UUIDField()
    service_id = serializers.UUIDField()
    need_id = serializers.UUIDField()
    languages = _languages()
    target_groups = _target_groups()
    note_for_partner = serializers.CharField(required=False, default="", allow_blank=True,
                                             max_length=2000)
    send = serializers.BooleanField(required=False, default=True)

    class Meta:
        component_name = "ReferralInput"


class TransitionSerializer(serializers.Serializer[Any]):
    action = serializers.CharField()
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    at = serializers.DateTimeField()
    actor_username = serializers.CharField()
    actor_kind = serializers.CharField()
    reason = serializers.CharField()
    outcome = serializers.CharField()

    class Meta:
        component_name = "ReferralTransition"


class _ReferralSerializer(serializers.Serializer[Referral]):
    """What every reader of a referral sees; `actor` decides which actions it offers."""

    actor = Actor.SENDER

    id = serializers.UUIDField()
    version = serializers.IntegerField()
    state = serializers.CharField()
    service_id = serializers.UUIDField()
    service_name = serializers.CharField(source="service.name")
    need = serializers.CharField(source="need.code")
    need_name = serializers.CharField(source="need.name")
    languages = serializers.ListField(child=serializers.CharField())
    note_for_partner = serializers.CharField()
    sent_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)
    answered_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    outcome = serializers.CharField()
    allowed_actions = serializers.SerializerMethodField()

    def get_allowed_actions(self, referral: Referral) -> list[str]:
        return [a.value for a in allowed_actions(State(referral.state), self.actor)]


class ReferralStaffSerializer(_ReferralSerializer):
    """Everything about a referral, for the sending tenant's staff."""

    client_id = serializers.UUIDField()
    organization_id = serializers.UUIDField()
    organization_name = serializers.CharField(source="organization.name")
    suggestion_rank = serializers.IntegerField(allow_null=True)
    suggestions = serializers.ListField(child=serializers.DictField())
    reason = serializers.CharField()
    created_by_username = serializers.CharField()
    created_at = serializers.DateTimeField()
    transitions = TransitionSerializer(many=True)

    class Meta:
        component_name = "Referral"


class PartnerClientSerializer(serializers.Serializer[Client]):
    given_name = serializers.CharField()
    family_name = serializers.CharField()
    phone = serializers.CharField()
    email = serializers.CharField()

    class Meta:
        component_name = "PartnerClient"


class ReferralPartnerSerializer(_ReferralSerializer):
    """What an institution sees: the person to contact, the need, the language; nothing else."""

    actor = Actor.PARTNER
    client = PartnerClientSerializer()

    class Meta:
        component_name = "PartnerReferral"


def _as_seen(*, many: bool = False) -> PolymorphicProxySerializer:
    """For the schema: a referral as its reader sees it, whole (staff) or a partner's view."""
    return PolymorphicProxySerializer(
        component_name="ReferralAsSeen", serializers=[ReferralStaffSerializer,
                                                      ReferralPartnerSerializer],
        resource_type_field_name=None, many=many)


def _is_partner(principal: Principal) -> bool:
    return actor_kind(principal) == Actor.PARTNER


def _scope(principal: Principal) -> QuerySet[Referral]:
    base = partner_referrals(principal) if _is_partner(principal) else staff_referrals(principal)
    related = base.select_related("service", "organization", "need")
    if _is_partner(principal):
        return related.select_related("client").only(
            "id", "version", "state", "tenant_id", "service__name", "need__code", "need__name",
            "languages", "note_for_partner", "sent_at", "due_at", "answered_at", "closed_at",
            "outcome", "created_at", "organization__id", "client__given_name",
            "client__family_name", "client__phone", "client__email", "client__id")
    return related.prefetch_related("transitions")


def _serializer(principal: Principal) -> type[serializers.Serializer[Referral]]:
    return ReferralPartnerSerializer if _is_partner(principal) else ReferralStaffSerializer


def _audit_partner_read(request: Request, principal: Principal, referrals: list[Referral],
                        action: str) -> None:
    if _is_partner(principal) and referrals:
        audit_record(actor=principal, action=action,
                     client_ids=sorted({r.client_id for r in referrals}), fields=PARTNER_FIELDS,
                     origin=request_origin(request))


class ReferralPagination(StableCursorPagination):
    ordering = ("-created_at", "-id")


class ReferralListApi(APIView):
    """`GET /api/v1/referrals`: the caller's referrals (a partner's inbox); `POST`: refer."""

    pagination_class = ReferralPagination

    class FilterSerializer(serializers.Serializer[dict[str, object]]):
        state = serializers.MultipleChoiceField(choices=[s.value for s in State], required=False)
        client_id = serializers.UUIDField(required=False)
        due_before = serializers.DateTimeField(required=False)

        class Meta:
            component_name = "ReferralListFilter"

    def get_permissions(self) -> list[Any]:
        roles = REFERRAL_USERS if self.request.method == "GET" else TENANT_STAFF
        return [roles_required(*roles)()]

    @extend_schema(parameters=[
        OpenApiParameter("state", str, many=True, required=False,
                         enum=[s.value for s in State]),
        OpenApiParameter("client_id", UUID, required=False),
        OpenApiParameter("due_before", str, required=False, description="ISO 8601 time")],
        responses=_as_seen(many=True))
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data={
            **{k: v for k, v in request.query_params.items() if k != "state"},
            **({"state": request.query_params.getlist("state")}
               if "state" in request.query_params else {})})
        filters.is_valid(raise_exception=True)
        principal = request_principal(request)
        referrals = _scope(principal)
        data = filters.validated_data
        if data.get("state"):
            referrals = referrals.filter(state__in=sorted(data["state"]))
        if data.get("client_id") and not _is_partner(principal):
            referrals = referrals.filter(client_id=data["client_id"])
        if data.get("due_before"):
            referrals = referrals.filter(due_at__lt=data["due_before"])
        page, response = paginated_response(request, self, referrals, _serializer(principal))
        _audit_partner_read(request, principal, page, "referral_list")
        return response

    @extend_schema(request=ReferralInputSerializer, responses={201: ReferralStaffSerializer})
    @idempotent
    def post(self, request: Request) -> Response:
        payload = ReferralInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        referral = referral_create(
            actor=request_principal(request), client_id=data["client_id"],
            service_id=data["service_id"], need_id=data["need_id"], languages=data["languages"],
            note_for_partner=data["note_for_partner"],
            extra_target_groups=data["target_groups"], send=data["send"])
        return _referral_response(request, referral.id, status.HTTP_201_CREATED)


def _referral_response(request: Request, referral_id: UUID,
                       status_code: int = status.HTTP_200_OK) -> Response:
    principal = request_principal(request)
    try:
        referral = _scope(principal).get(id=referral_id)
    except Referral.DoesNotExist as missing:
        raise NotFound("not found") from missing
    _audit_partner_read(request, principal, [referral], "referral_read")
    return versioned_response(_serializer(principal)(referral).data, referral.version,
                              status_code)


class ReferralDetailApi(APIView):
    """`GET /api/v1/referrals/{id}`: one referral as the caller may see it."""

    permission_classes = [roles_required(*REFERRAL_USERS)]

    @extend_schema(responses=_as_seen())
    def get(self, request: Request, referral_id: UUID) -> Response:
        return _referral_response(request, referral_id)


class StepSerializer(StrictFieldsMixin, serializers.Serializer[dict[str, Any]]):
    reason = serializers.CharField(required=False, default="", allow_blank=True, max_length=2000)
    outcome = serializers.CharField(required=False, default="", allow_blank=True, max_length=40)

    class Meta:
        component_name = "ReferralStep"


class ReferralActionApi(APIView):
    """`POST /api/v1/referrals/{id}/{action}`: send, accept, decline, start, hold, complete,
    not_complete or cancel. An action the state does not allow answers 409 with the allowed ones;
    `If-Match` is optional here (the state machine already refuses a stale step)."""

    permission_classes = [roles_required(*REFERRAL_USERS)]

    @extend_schema(operation_id="referrals_act", request=StepSerializer,
                   parameters=[IF_MATCH_OPTIONAL, OpenApiParameter(
                       "action", str, OpenApiParameter.PATH,
                       enum=[action.value for action in Action if action != Action.EXPIRE])],
                   responses={200: _as_seen(), 409: error_response(
                       "The referral's state, or the caller's side, does not allow the action: "
                       "`state` and `allowed` say what does (`illegal_transition`); or If-Match "
                       "names an old version (`version_conflict`, `current_version`).")})
    def post(self, request: Request, referral_id: UUID, action: str) -> Response:
        try:
            chosen = Action(action)
        except ValueError as unknown:
            raise NotFound(f"no action {action!r}") from unknown
        if chosen == Action.EXPIRE:
            raise NotFound("referrals expire by themselves")
        payload = StepSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        raw_version = request.headers.get("If-Match")
        expected = None
        if raw_version is not None:
            expected = expected_version(request)
        referral_act(actor=request_principal(request), referral_id=referral_id,
                     step=Step(chosen, payload.validated_data["reason"].strip(),
                               payload.validated_data["outcome"].strip()),
                     expected_version=expected)
        return _referral_response(request, referral_id)


# --- Notifications ----------------------------------------------------------------------------

class NotificationSerializer(serializers.ModelSerializer[Notification]):
    class Meta:
        model = Notification
        fields = ["id", "kind", "message", "data", "referral_id", "created_at", "read_at"]
        read_only_fields = fields
        component_name = "Notification"


class NotificationPagination(CursorPagination):
    page_size = 50
    ordering = ("-created_at", "-id")


class NotificationListApi(APIView):
    """`GET /api/v1/notifications`: the caller's own in-app notifications, newest first."""

    pagination_class = NotificationPagination

    permission_classes = [roles_required(*REFERRAL_USERS)]

    @extend_schema(parameters=[OpenApiParameter("unread", bool, required=False)],
                   responses=NotificationSerializer(many=True))
    def get(self, request: Request) -> Response:
        notes = notifications_of(request_principal(request))
        if request.query_params.get("unread") in ("true", "1"):
            notes = notes.filter(read_at__isnull=True)
        return paginated_response(request, self, notes, NotificationSerializer)[1]


class NotificationReadApi(APIView):
    """`POST /api/v1/notifications/{id}/read`: mark one notification read."""

    permission_classes = [roles_required(*REFERRAL_USERS)]

    @extend_schema(request=None, responses=NotificationSerializer)
    def post(self, request: Request, notification_id: int) -> Response:
        note = notifications_of(request_principal(request)).filter(id=notification_id).first()
        if note is None:
            raise NotFound("not found")
        if note.read_at is None:
            note.read_at = timezone.now()
            note.save(update_fields=["read_at"])
        return Response(NotificationSerializer(note).data)


# --- Webhooks ---------------------------------------------------------------------------------

class WebhookInputSerializer(StrictFieldsMixin, serializers.Serializer[dict[str, Any]]):
    url = serializers.URLField(max_length=500)
    organization_id = serializers.UUIDField(required=False)

    class Meta:
        component_name = "WebhookInput"


class WebhookSerializer(serializers.ModelSerializer[Webhook]):
    class Meta:
        model = Webhook
        fields = ["id", "organization_id", "url", "active", "created_at"]
        read_only_fields = fields
        component_name = "Webhook"


class WebhookCreatedSerializer(WebhookSerializer):
    """The answer to registering a webhook: the one time its signing secret is shown."""

    secret = serializers.CharField(read_only=True)

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]
        read_only_fields = fields
        component_name = "WebhookCreated"


class DeliverySerializer(serializers.ModelSerializer[WebhookDelivery]):
    class Meta:
        model = WebhookDelivery
        fields = ["id", "event_id", "event_type", "status", "attempts", "next_attempt_at",
                  "last_status_code", "last_error", "created_at", "delivered_at"]
        read_only_fields = fields
        component_name = "WebhookDelivery"


def _webhooks(principal: Principal) -> QuerySet[Webhook]:
    hooks = Webhook.objects.filter(tenant_id=principal.tenant)
    if _is_partner(principal):
        return hooks.filter(organization__code=principal.institution or "\x00")
    return hooks


def _organization_for_webhook(principal: Principal, organization_id: UUID | None) -> UUID:
    orgs = Organization.objects.filter(tenant_id=principal.tenant)
    if _is_partner(principal):
        org = orgs.filter(code=principal.institution or "\x00").first()
        if org is None:
            raise ValidationError({"organization_id": ["your institution is not in the "
                                                       "directory"]})
        if organization_id is not None and organization_id != org.id:
            # Refused rather than ignored: the caller must not believe it chose the owner.
            raise ValidationError({"organization_id": ["a partner registers webhooks for its "
                                                       "own institution only"]})
        return org.id
    if organization_id is None:
        raise ValidationError({"organization_id": ["required for tenant administrators"]})
    org = orgs.filter(id=organization_id).first()
    if org is None:
        raise ValidationError({"organization_id": ["no such organization in your directory"]})
    return org.id


class WebhookListApi(APIView):
    """`GET /api/v1/webhooks`; `POST` registers one and answers its secret, once."""

    pagination_class = StableCursorPagination

    permission_classes = [roles_required(Role.TENANT_ADMIN, Role.PARTNER)]

    @extend_schema(responses=WebhookSerializer(many=True))
    def get(self, request: Request) -> Response:
        return paginated_response(request, self, _webhooks(request_principal(request)),
                                  WebhookSerializer)[1]

    @extend_schema(request=WebhookInputSerializer, responses={201: WebhookCreatedSerializer})
    def post(self, request: Request) -> Response:
        payload = WebhookInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        principal = request_principal(request)
        try:
            url = webhooks.check_url(payload.validated_data["url"])
        except webhooks.UnsafeWebhookUrl as unsafe:
            raise ValidationError({"url": [str(unsafe)]}) from unsafe
        organization_id = _organization_for_webhook(
            principal, payload.validated_data.get("organization_id"))
        secret = webhooks.new_secret()
        hook = Webhook.objects.create(tenant_id=principal.tenant or "",
                                      organization_id=organization_id,
                                      url=url, secret=secret)
        return Response({**WebhookSerializer(hook).data, "secret": secret},
                        status=status.HTTP_201_CREATED)


class WebhookDeliveryListApi(APIView):
    """`GET /api/v1/webhooks/{id}/deliveries`: the delivery log, newest first."""

    pagination_class = StableCursorPagination

    permission_classes = [roles_required(Role.TENANT_ADMIN, Role.PARTNER)]

    @extend_schema(responses=DeliverySerializer(many=True))
    def get(self, request: Request, webhook_id: UUID) -> Response:
        hook = _webhooks(request_principal(request)).filter(id=webhook_id).first()
        if hook is None:
            raise NotFound("not found")
        return paginated_response(request, self, hook.deliveries.all(), DeliverySerializer)[1]
