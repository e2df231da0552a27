"""Directory API on Open Referral HSDS 3's endpoints (`/services`, `/services/{id}`,
`/organizations`, `/service_at_locations`, `/taxonomies`, `/taxonomy_terms`), with HSDS's page
format and filters; import and export of a whole HSDS data package; the tenant's routing settings.

Everyone signed in reads the directory they can see (their tenant's and the shared entries);
tenant administrators change their tenant's entries, the regional office the shared ones.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from referrals import hsds
from referrals.directory import (
    directory_export,
    directory_import,
    known_term_ids,
    location_record,
    organization_record,
    service_at_location_record,
    service_record,
    service_update,
    visible_entries,
)
from referrals.models import (
    Organization,
    RoutingSettings,
    Service,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
)
from referrals.routing import TARGET_GROUPS, Weights
from referrals.services import routing_settings_update
from referrals.suggestions import routing_settings
from services.api.concurrency import IF_MATCH, expected_version, versioned_response
from services.api.errors import PayloadTooLarge
from services.api.serializers import INTEGER_MAX, StrictFieldsMixin
from services.auth.permissions import IsAuthenticatedPrincipal, request_principal, roles_required
from services.auth.tokens import Role

# Tenant administrators keep their tenant's entries, the regional office the shared ones; the
# web pages let the same roles in (`services.web.directory`).
DIRECTORY_EDITORS = (Role.TENANT_ADMIN, Role.REGIONAL_MONITOR)
DIRECTORY_EXPORTERS = (Role.CENTRE_MANAGER, *DIRECTORY_EDITORS)
ROUTING_EDITORS = (Role.TENANT_ADMIN,)
TENANT_STAFF = (Role.COUNSELLOR, Role.CENTRE_MANAGER, Role.TENANT_ADMIN)
MAX_PACKAGE_BYTES = 20 * 1024 * 1024
ISCED = [f"isced{level}" for level in range(9)]


# --- HSDS pages -------------------------------------------------------------------------------

class PageSerializer(serializers.Serializer[dict[str, Any]]):
    page = serializers.IntegerField(required=False, default=1, min_value=1, max_value=INTEGER_MAX)
    per_page = serializers.IntegerField(required=False, default=50, min_value=1, max_value=200)
    search = serializers.CharField(required=False, default="", max_length=200)
    taxonomy_term_id = serializers.UUIDField(required=False)
    taxonomy_id = serializers.UUIDField(required=False)
    organization_id = serializers.UUIDField(required=False)
    modified_after = serializers.DateTimeField(required=False)
    parent_id = serializers.UUIDField(required=False)
    top_only = serializers.BooleanField(required=False, default=False)

    class Meta:
        component_name = "HsdsPageQuery"


PAGE_PARAMETERS = [
    OpenApiParameter("page", int, required=False),
    OpenApiParameter("per_page", int, required=False),
    OpenApiParameter("search", str, required=False),
    OpenApiParameter("taxonomy_term_id", UUID, required=False),
    OpenApiParameter("taxonomy_id", UUID, required=False),
    OpenApiParameter("organization_id", UUID, required=False),
    OpenApiParameter("modified_after", str, required=False, description="ISO 8601 time"),
]


def _query(request: Request) -> dict[str, Any]:
    query = PageSerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    return dict(query.validated_data)


def _page(query: dict[str, Any], rows: QuerySet[Any], to_hsds: Any) -> Response:
    """HSDS 3's page object: totals, page flags and `contents`."""
    total = rows.count()
    per_page, number = query["per_page"], query["page"]
    pages = max(1, -(-total // per_page))
    contents = [to_hsds(row) for row in rows[(number - 1) * per_page: number * per_page]]
    return Response({"total_items": total, "total_pages": pages, "page_number": number,
                     "size": len(contents), "first_page": number == 1,
                     "last_page": number >= pages, "empty": not contents,
                     "contents": contents})


def _search(rows: QuerySet[Any], text: str, *fields: str) -> QuerySet[Any]:
    if not text:
        return rows
    match = Q()
    for field in fields:
        match |= Q(**{f"{field}__icontains": text})
    return rows.filter(match)


def _service_hsds(row: Service) -> dict[str, Any]:
    return hsds.service_to_hsds(service_record(row))


def _service_full(row: Service) -> dict[str, Any]:
    body = _service_hsds(row)
    body["organization"] = hsds.organization_to_hsds(organization_record(row.organization))
    body["service_at_locations"] = [
        {**hsds.service_at_location_to_hsds(service_at_location_record(sal)),
         "location": hsds.location_to_hsds(location_record(sal.location))}
        for sal in row.at_locations.select_related("location").order_by("id")]
    return body


class ServiceListApi(APIView):
    """`GET /api/v1/directory/services`: HSDS services, filterable and paged."""

    permission_classes = [IsAuthenticatedPrincipal]

    @extend_schema(operation_id="directory_services_list", parameters=PAGE_PARAMETERS,
                   responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> Response:
        query = _query(request)
        rows = Service.objects.filter(visible_entries(request_principal(request)))
        rows = _search(rows, query["search"], "name", "alternate_name", "description")
        if "taxonomy_term_id" in query:
            rows = rows.filter(taxonomy_term_ids__contains=[query["taxonomy_term_id"]])
        if "taxonomy_id" in query:
            term_ids = list(TaxonomyTerm.objects.filter(taxonomy_id=query["taxonomy_id"])
                            .values_list("id", flat=True))
            rows = rows.filter(taxonomy_term_ids__overlap=term_ids)
        if "organization_id" in query:
            rows = rows.filter(organization_id=query["organization_id"])
        if "modified_after" in query:
            rows = rows.filter(updated_at__gt=query["modified_after"])
        return _page(query, rows.order_by("name", "id"), _service_hsds)


class ServiceChangeSerializer(StrictFieldsMixin, serializers.Serializer[dict[str, Any]]):
    """What a directory editor may change on a service without re-importing the package."""

    status = serializers.ChoiceField(choices=["active", "inactive", "defunct",
                                              "temporarily closed"], required=False)
    seats_total = serializers.IntegerField(min_value=0, max_value=INTEGER_MAX, allow_null=True,
                                           required=False)
    seats_available = serializers.IntegerField(min_value=0, max_value=INTEGER_MAX,
                                               allow_null=True, required=False)
    waiting_list_open = serializers.BooleanField(required=False)
    waiting_list_length = serializers.IntegerField(min_value=0, max_value=INTEGER_MAX,
                                                   required=False)
    next_intake_date = serializers.DateField(allow_null=True, required=False)
    minimum_age = serializers.IntegerField(min_value=0, max_value=130, allow_null=True,
                                           required=False)
    maximum_age = serializers.IntegerField(min_value=0, max_value=130, allow_null=True,
                                           required=False)
    minimum_education = serializers.ChoiceField(choices=["", *ISCED], required=False)
    target_groups = serializers.ListField(
        child=serializers.ChoiceField(choices=sorted(TARGET_GROUPS)), required=False)
    languages = serializers.ListField(child=serializers.RegexField(r"^[a-z]{2}$"),
                                      required=False)

    class Meta:
        component_name = "ServiceChange"


class ServiceDetailApi(APIView):
    """`GET /api/v1/directory/services/{id}`: a full HSDS service; `PATCH` with `If-Match`."""

    def get_permissions(self) -> list[Any]:
        if self.request.method == "GET":
            return [IsAuthenticatedPrincipal()]
        return [roles_required(*DIRECTORY_EDITORS)()]

    def _row(self, request: Request, service_id: UUID) -> Service:
        row = (Service.objects.filter(visible_entries(request_principal(request)), id=service_id)
               .select_related("organization").first())
        if row is None:
            raise NotFound("not found")
        return row

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, service_id: UUID) -> Response:
        row = self._row(request, service_id)
        return versioned_response(_service_full(row), row.version)

    @extend_schema(request=ServiceChangeSerializer, parameters=[IF_MATCH],
                   responses={200: OpenApiTypes.OBJECT})
    def patch(self, request: Request, service_id: UUID) -> Response:
        payload = ServiceChangeSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        service = service_update(request_principal(request), service_id,
                                 expected_version(request), dict(payload.validated_data))
        row = self._row(request, service.id)
        return versioned_response(_service_full(row), row.version)


def _organization_hsds(row: Organization) -> dict[str, Any]:
    return hsds.organization_to_hsds(organization_record(row))


class OrganizationListApi(APIView):
    """`GET /api/v1/directory/organizations`: HSDS organizations, paged."""

    permission_classes = [IsAuthenticatedPrincipal]

    @extend_schema(operation_id="directory_organizations_list", parameters=PAGE_PARAMETERS,
                   responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> Response:
        query = _query(request)
        rows = Organization.objects.filter(visible_entries(request_principal(request)))
        rows = _search(rows, query["search"], "name", "alternate_name", "description")
        if "taxonomy_term_id" in query:
            rows = rows.filter(
                services__taxonomy_term_ids__contains=[query["taxonomy_term_id"]]).distinct()
        return _page(query, rows.order_by("name", "id"), _organization_hsds)


class OrganizationDetailApi(APIView):
    """`GET /api/v1/directory/organizations/{id}`: an organization with its services."""

    permission_classes = [IsAuthenticatedPrincipal]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, organization_id: UUID) -> Response:
        principal = request_principal(request)
        row = Organization.objects.filter(visible_entries(principal), id=organization_id).first()
        if row is None:
            raise NotFound("not found")
        body = _organization_hsds(row)
        body["services"] = [_service_hsds(s) for s in row.services.order_by("name", "id")]
        body["locations"] = [hsds.location_to_hsds(location_record(loc))
                             for loc in row.locations.order_by("name", "id")]
        return versioned_response(body, row.version)


def _service_at_location_hsds(row: ServiceAtLocation) -> dict[str, Any]:
    return {**hsds.service_at_location_to_hsds(service_at_location_record(row)),
            "service": _service_hsds(row.service),
            "location": hsds.location_to_hsds(location_record(row.location))}


class ServiceAtLocationListApi(APIView):
    """`GET /api/v1/directory/service_at_locations`: where each service is delivered, paged."""

    permission_classes = [IsAuthenticatedPrincipal]

    @extend_schema(parameters=[*PAGE_PARAMETERS, OpenApiParameter("postcode", str,
                                                                  required=False)],
                   responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> Response:
        query = _query(request)
        rows = (ServiceAtLocation.objects.filter(visible_entries(request_principal(request)))
                .select_related("service", "location"))
        rows = _search(rows, query["search"], "service__name", "location__name",
                       "location__city")
        if "taxonomy_term_id" in query:
            rows = rows.filter(service__taxonomy_term_ids__contains=[query["taxonomy_term_id"]])
        if "organization_id" in query:
            rows = rows.filter(service__organization_id=query["organization_id"])
        if postcode := request.query_params.get("postcode", ""):
            rows = rows.filter(location__postal_code=postcode)
        return _page(query, rows.order_by("service__name", "id"), _service_at_location_hsds)


def _taxonomy_hsds(row: Taxonomy) -> dict[str, Any]:
    return hsds.taxonomy_to_hsds(hsds.TaxonomyRecord(
        id=str(row.id), name=row.name, description=row.description, uri=row.uri,
        version=row.version))


def _term_hsds(row: TaxonomyTerm) -> dict[str, Any]:
    return hsds.taxonomy_term_to_hsds(hsds.TaxonomyTermRecord(
        id=str(row.id), code=row.code, name=row.name, description=row.description,
        parent_id=str(row.parent_id) if row.parent_id else None,
        taxonomy_id=str(row.taxonomy_id), language=row.language))


class TaxonomyListApi(APIView):
    """`GET /api/v1/directory/taxonomies`."""

    permission_classes = [IsAuthenticatedPrincipal]

    @extend_schema(parameters=PAGE_PARAMETERS, responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> Response:
        query = _query(request)
        rows = _search(Taxonomy.objects.all(), query["search"], "name", "description")
        return _page(query, rows.order_by("name"), _taxonomy_hsds)


class TaxonomyTermListApi(APIView):
    """`GET /api/v1/directory/taxonomy_terms`: filter by taxonomy, parent, search, top only."""

    permission_classes = [IsAuthenticatedPrincipal]

    @extend_schema(parameters=[*PAGE_PARAMETERS,
                               OpenApiParameter("parent_id", UUID, required=False),
                               OpenApiParameter("top_only", bool, required=False)],
                   responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> Response:
        query = _query(request)
        rows: QuerySet[TaxonomyTerm] = _search(TaxonomyTerm.objects.all(), query["search"],
                                               "name", "code", "description")
        if "taxonomy_id" in query:
            rows = rows.filter(taxonomy_id=query["taxonomy_id"])
        if "parent_id" in query:
            rows = rows.filter(parent_id=query["parent_id"])
        if query["top_only"]:
            rows = rows.filter(parent__isnull=True)
        return _page(query, rows.order_by("taxonomy__name", "code"), _term_hsds)


# --- Import and export ------------------------------------------------------------------------

class DirectoryExportApi(APIView):
    """`GET /api/v1/directory/export?as=json|csv`: the caller's directory as an HSDS data
    package (JSON, or a zip of CSV files with datapackage.json). (Not `format`: DRF keeps that
    name for choosing a renderer.)"""

    permission_classes = [roles_required(*DIRECTORY_EXPORTERS)]

    @extend_schema(parameters=[OpenApiParameter("as", str, enum=["json", "csv"],
                                                required=False)],
                   responses={(200, "application/json"): OpenApiTypes.OBJECT,
                              (200, "application/zip"): OpenApiTypes.BINARY})
    def get(self, request: Request) -> HttpResponse:
        kind = request.query_params.get("as", "json")
        if kind not in ("json", "csv"):
            raise ValidationError({"as": ["must be json or csv"]})
        package = directory_export(request_principal(request))
        if kind == "json":
            return Response(hsds.package_to_json(package))
        response = HttpResponse(hsds.package_to_csv_zip(package), content_type="application/zip")
        response["Content-Disposition"] = 'attachment; filename="hsds-directory.zip"'
        return response


class DirectoryImportApi(APIView):
    """`POST /api/v1/directory/import`: replace the caller's directory with an HSDS data package
    (`application/json`, or `application/zip` of CSV files). A package with problems is refused
    whole, with every problem listed; nothing is half-imported."""

    permission_classes = [roles_required(*DIRECTORY_EDITORS)]
    parser_classes: list[Any] = []  # the body is read raw: JSON or a zip

    @extend_schema(request={"application/json": OpenApiTypes.OBJECT,
                            "application/zip": OpenApiTypes.BINARY},
                   responses={200: OpenApiTypes.OBJECT})
    def post(self, request: Request) -> Response:
        raw = _read_body(request)
        kind = request.content_type.split(";")[0].strip()
        known = known_term_ids()
        try:
            # A savepoint: a value the database refuses undoes this import and nothing else.
            with transaction.atomic():
                if kind == "application/json":
                    package = hsds.parse_json_package(raw, known_term_ids=known)
                elif kind in ("application/zip", "application/x-zip-compressed"):
                    package = hsds.parse_csv_package(raw, known_term_ids=known)
                else:
                    raise ValidationError({"content_type": [
                        "send application/json (an HSDS package) or application/zip (CSV files)"]})
                counts = directory_import(request_principal(request), package)
        except hsds.PackageInvalid as invalid:  # a value it cannot store too (directory_import)
            return _invalid_package(invalid.problems)
        return Response({"imported": counts})


def _invalid_package(problems: list[str]) -> Response:
    return Response({"error": {
        "status": 400, "code": "invalid_package",
        "message": f"the package has {len(problems)} problem(s); nothing was imported",
        "problems": problems}}, status=status.HTTP_400_BAD_REQUEST)


def _read_body(request: Request) -> bytes:
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    if length > MAX_PACKAGE_BYTES:
        raise PayloadTooLarge(MAX_PACKAGE_BYTES)
    raw: bytes = request._request.read(MAX_PACKAGE_BYTES + 1)
    if len(raw) > MAX_PACKAGE_BYTES:
        raise PayloadTooLarge(MAX_PACKAGE_BYTES)
    if not raw:
        raise ValidationError({"body": ["empty: send an HSDS data package"]})
    return raw


# --- Routing settings -------------------------------------------------------------------------

class RoutingSettingsSerializer(StrictFieldsMixin, serializers.Serializer[dict[str, Any]]):
    weight_distance = serializers.FloatField(min_value=0)
    weight_capacity = serializers.FloatField(min_value=0)
    weight_waiting = serializers.FloatField(min_value=0)
    weight_record = serializers.FloatField(min_value=0)
    answer_working_days = serializers.IntegerField(min_value=1, max_value=60)
    holidays = serializers.ListField(child=serializers.DateField(), max_length=400)

    class Meta:
        component_name = "RoutingSettings"

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        try:
            Weights(distance=attrs.get("weight_distance", 1.0),
                    capacity=attrs.get("weight_capacity", 0.0),
                    waiting=attrs.get("weight_waiting", 0.0),
                    record=attrs.get("weight_record", 0.0))
        except ValueError as exc:
            raise serializers.ValidationError({"weights": [str(exc)]}) from exc
        return attrs


SETTINGS_FIELDS = ["weight_distance", "weight_capacity", "weight_waiting", "weight_record",
                   "answer_working_days", "holidays"]


class RoutingSettingsApi(APIView):
    """`GET /api/v1/routing/settings`: the tenant's weights and answer deadline; `PUT` with
    `If-Match` (tenant administrators)."""

    def get_permissions(self) -> list[Any]:
        roles = TENANT_STAFF if self.request.method == "GET" else ROUTING_EDITORS
        return [roles_required(*roles)()]

    def _response(self, row: RoutingSettings) -> Response:
        data = {name: getattr(row, name) for name in SETTINGS_FIELDS}
        data["holidays"] = [d.isoformat() for d in data["holidays"]]
        return versioned_response(data, row.version)

    @extend_schema(responses=RoutingSettingsSerializer)
    def get(self, request: Request) -> Response:
        principal = request_principal(request)
        return self._response(routing_settings(principal.tenant or ""))

    @extend_schema(request=RoutingSettingsSerializer, parameters=[IF_MATCH],
                   responses=RoutingSettingsSerializer)
    def put(self, request: Request) -> Response:
        payload = RoutingSettingsSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        row = routing_settings_update(actor=request_principal(request),
                                      expected_version=expected_version(request),
                                      changes=dict(payload.validated_data))
        return self._response(row)
