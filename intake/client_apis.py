"""Client API: register (consent first, duplicates shown), search, read, change, erase; audit."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from intake import choices
from intake.models import AuditEntry, Client
from intake.names import name_key
from intake.services import (
    PERSONAL_FIELDS,
    RequestOrigin,
    audit_record,
    client_erase,
    client_register,
    client_update,
)
from services.api.concurrency import IF_MATCH, expected_version, versioned_response
from services.api.idempotency import idempotent
from services.api.pagination import StableCursorPagination, paginated_response
from services.api.schema import error_response
from services.api.serializers import StrictFieldsMixin
from services.auth.permissions import request_principal, roles_required
from services.auth.tokens import Principal, Role

CLIENT_STAFF = (Role.COUNSELLOR, Role.CENTRE_MANAGER, Role.TENANT_ADMIN)



def request_origin(request: Request) -> RequestOrigin:
    return RequestOrigin(remote_addr=request.META.get("REMOTE_ADDR", ""),
                         user_agent=request.META.get("HTTP_USER_AGENT", ""))


EARLIEST_BIRTH_YEAR = 1900


class CountryCodeField(serializers.RegexField):
    """ISO 3166-1 alpha-2 (XK for Kosovo, as the region uses it)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(r"^[A-Z]{2}$", error_messages={
            "invalid": "must be an ISO 3166 two-letter country code, e.g. DE"}, **kwargs)


class StaySerializer(StrictFieldsMixin, serializers.Serializer[dict[str, Any]]):
    country = CountryCodeField()
    purpose = serializers.ChoiceField(choices=choices.StayPurpose.choices)
    year_from = serializers.IntegerField(min_value=1900, max_value=2100, required=False,
                                         allow_null=True)
    year_to = serializers.IntegerField(min_value=1900, max_value=2100, required=False,
                                       allow_null=True)

    class Meta:
        component_name = "MigrationStay"


class ConsentSerializer(StrictFieldsMixin, serializers.Serializer[dict[str, Any]]):
    given_at = serializers.DateTimeField()
    scope = serializers.ChoiceField(choices=choices.ConsentScope.choices)

    class Meta:
        component_name = "Consent"


class ClientInputSerializer(StrictFieldsMixin, serializers.Serializer[dict[str, Any]]):
    """What a counsellor records; consent is required before any of it is stored."""

    given_name = serializers.CharField(max_length=100)
    family_name = serializers.CharField(max_length=100)
    sex = serializers.ChoiceField(choices=choices.Sex.choices)
    birth_year = serializers.IntegerField(min_value=EARLIEST_BIRTH_YEAR)
    birth_date = serializers.DateField(required=False, allow_null=True)
    citizenship = CountryCodeField()
    category = serializers.ChoiceField(choices=choices.ClientCategory.choices)
    municipality_code = serializers.CharField(max_length=20)
    urban = serializers.BooleanField()
    education_level = serializers.ChoiceField(choices=choices.EducationLevel.choices)
    employment_status = serializers.ChoiceField(choices=choices.EmploymentStatus.choices)
    occupation_isco = serializers.ChoiceField(choices=choices.IscoMajorGroup.choices,
                                              required=False, allow_blank=True)
    migration_intention = serializers.ChoiceField(choices=choices.MigrationIntention.choices)
    preferred_destinations = serializers.ListField(child=CountryCodeField(), max_length=10,
                                                   required=False)
    permit_status = serializers.ChoiceField(choices=choices.PermitStatus.choices,
                                            required=False, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    email = serializers.EmailField(max_length=200, required=False, allow_blank=True)
    address = serializers.CharField(max_length=300, required=False, allow_blank=True)
    stays = StaySerializer(many=True, required=False)
    consent = ConsentSerializer(required=False)
    confirm_new = serializers.BooleanField(required=False, default=False)

    class Meta:
        component_name = "ClientInput"

    def validate_birth_year(self, value: int) -> int:
        if value > date.today().year:  # noqa: DTZ011 - a year, the time zone cannot move it
            raise serializers.ValidationError("birth year is in the future")
        return value

    def validate_birth_date(self, value: date | None) -> date | None:
        if value is not None and value.year < EARLIEST_BIRTH_YEAR:
            raise serializers.ValidationError(f"is before {EARLIEST_BIRTH_YEAR}")
        if value is not None and value > date.today():  # noqa: DTZ011 - a date, as typed
            raise serializers.ValidationError("is in the future")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        birth_date, birth_year = attrs.get("birth_date"), attrs.get("birth_year")
        if birth_date and birth_year and birth_date.year != birth_year:
            raise serializers.ValidationError({"birth_date": ["does not match birth_year"]})
        if attrs.get("permit_status") and attrs.get("category", "immigrant") != "immigrant":
            raise serializers.ValidationError(
                {"permit_status": ["only immigrants have a permit status"]})
        return attrs


class ClientOutputSerializer(serializers.ModelSerializer[Client]):
    stays = serializers.SerializerMethodField()
    # Blank when not recorded. Declared here because a read-only model field loses `allow_blank`,
    # and the schema's enum then left out the "" the API answers.
    occupation_isco = serializers.ChoiceField(choices=choices.IscoMajorGroup.choices,
                                              allow_blank=True, read_only=True)
    permit_status = serializers.ChoiceField(choices=choices.PermitStatus.choices,
                                            allow_blank=True, read_only=True)

    class Meta:
        model = Client
        fields = ["id", "version", "given_name", "family_name", "sex", "birth_year",
                  "birth_date", "citizenship", "category", "municipality_code", "urban",
                  "education_level", "employment_status", "occupation_isco",
                  "migration_intention", "preferred_destinations", "permit_status", "phone",
                  "email", "address", "stays", "consent_given_at", "consent_scope",
                  "consent_recorded_by", "created_at", "updated_at"]
        read_only_fields = fields
        component_name = "Client"

    def get_stays(self, client: Client) -> list[dict[str, Any]]:
        return [{"country": s.country, "purpose": s.purpose, "year_from": s.year_from,
                 "year_to": s.year_to} for s in client.stays.all()]


def _client_response(client: Client, status_code: int = status.HTTP_200_OK) -> Response:
    return versioned_response(ClientOutputSerializer(client).data, client.version, status_code)


def _tenant_clients(principal: Principal) -> Any:
    return (Client.objects.filter(tenant_id=principal.tenant, erased_at__isnull=True)
            .prefetch_related("stays"))


class ClientListApi(APIView):
    """`GET /api/v1/clients?q=&birth_year=`: search; `POST`: register a client."""

    pagination_class = StableCursorPagination

    permission_classes = [roles_required(*CLIENT_STAFF)]

    @extend_schema(
        parameters=[OpenApiParameter("q", str, required=False,
                                     description="name, in Latin or Cyrillic, any diacritics"),
                    OpenApiParameter("birth_year", int, required=False)],
        responses=ClientOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        principal = request_principal(request)
        clients = _tenant_clients(principal)
        query = name_key(request.query_params.get("q", ""))
        for word in query.split():
            clients = clients.filter(name_key__contains=word)
        birth_year = request.query_params.get("birth_year")
        if birth_year:
            if not birth_year.isdigit():
                raise serializers.ValidationError({"birth_year": ["must be a year"]})
            clients = clients.filter(birth_year=int(birth_year))
        page, response = paginated_response(request, self, clients, ClientOutputSerializer)
        audit_record(actor=principal, action="list", client_ids=[c.id for c in page],
                     fields=list(PERSONAL_FIELDS), origin=request_origin(request))
        return response

    @extend_schema(request=ClientInputSerializer, responses={
        201: ClientOutputSerializer,
        409: error_response("A client with the same birth date and a similar name exists: "
                            "`candidates` lists them; send confirm_new=true to register a new "
                            "client anyway.")})
    @idempotent
    def post(self, request: Request) -> Response:
        payload = ClientInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        consent = data.pop("consent", None)
        if consent is None:
            raise serializers.ValidationError(
                {"consent": ["no personal data is stored without the client's consent"]})
        confirm_new = data.pop("confirm_new")
        client = client_register(actor=request_principal(request), data=data, consent=consent,
                                 origin=request_origin(request), confirm_new=confirm_new)
        return _client_response(client, status.HTTP_201_CREATED)


class ClientDetailApi(APIView):
    """`GET /api/v1/clients/{id}` (audited), `PATCH` with `If-Match`."""

    permission_classes = [roles_required(*CLIENT_STAFF)]

    @extend_schema(responses=ClientOutputSerializer)
    def get(self, request: Request, client_id: UUID) -> Response:
        principal = request_principal(request)
        client = _tenant_clients(principal).filter(id=client_id).first()
        if client is None:
            raise NotFound("not found")
        audit_record(actor=principal, action="read", client_ids=[client.id],
                     fields=list(PERSONAL_FIELDS), origin=request_origin(request))
        return _client_response(client)

    @extend_schema(
        request=ClientInputSerializer,
        parameters=[IF_MATCH],
        responses=ClientOutputSerializer,
    )
    def patch(self, request: Request, client_id: UUID) -> Response:
        payload = ClientInputSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        if "consent" in data or data.pop("confirm_new", False):
            raise serializers.ValidationError({"consent": ["consent is recorded at registration"]})
        client = client_update(actor=request_principal(request), client_id=client_id,
                               expected_version=expected_version(request), data=data,
                               origin=request_origin(request))
        return _client_response(client)


class ClientEraseApi(APIView):
    """`POST /api/v1/clients/{id}/erase`: right to erasure (tenant admins only)."""

    permission_classes = [roles_required(Role.TENANT_ADMIN)]

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request, client_id: UUID) -> Response:
        client_erase(actor=request_principal(request), client_id=client_id,
                     origin=request_origin(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class AuditEntrySerializer(serializers.ModelSerializer[AuditEntry]):
    class Meta:
        model = AuditEntry
        fields = ["id", "at", "actor_username", "action", "client_id", "fields", "remote_addr",
                  "user_agent"]
        read_only_fields = fields
        component_name = "AuditEntry"


class AuditPagination(StableCursorPagination):
    ordering = ("-at", "-id")


class AuditListApi(APIView):
    """`GET /api/v1/audit?client_id=&actor=`: who read or changed personal data (tenant admins)."""

    permission_classes = [roles_required(Role.TENANT_ADMIN)]
    pagination_class = AuditPagination

    @extend_schema(
        parameters=[OpenApiParameter("client_id", UUID, required=False),
                    OpenApiParameter("actor", str, required=False)],
        responses=AuditEntrySerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        entries = AuditEntry.objects.filter(tenant_id=request_principal(request).tenant)
        client_id = request.query_params.get("client_id")
        if client_id:
            try:
                entries = entries.filter(client_id=UUID(client_id))
            except ValueError as exc:
                raise serializers.ValidationError({"client_id": ["must be a UUID"]}) from exc
        actor = request.query_params.get("actor", "")
        if actor:
            entries = entries.filter(actor_username=actor)
        return paginated_response(request, self, entries, AuditEntrySerializer)[1]
