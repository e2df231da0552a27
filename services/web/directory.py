"""The directory of institutions for those who keep it: a tenant administrator their tenant's
entries, the regional office the shared entries every country sees. The services with their
capacity and eligibility, changing one without overwriting someone else's change, importing a
whole HSDS data package (every problem of a bad one listed, nothing imported) and exporting it.

Everything goes through `referrals.directory` and `referrals.hsds`, as the API's directory
endpoints do, with the API's roles, checks (`ServiceChangeSerializer`) and limits: which entries
a user may change is decided there (`own_entries`), never here. A tenant administrator sees the
shared entries beside their own, marked as shared, and may read them but not change them; the
regional office sees no tenant's entries at all (row-level security hides them too).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound, ValidationError

from referrals import hsds
from referrals.directory import (
    directory_export,
    directory_import,
    directory_services,
    known_term_ids,
    service_update,
)
from referrals.directory_apis import (
    DIRECTORY_EDITORS,
    DIRECTORY_EXPORTERS,
    MAX_PACKAGE_BYTES,
    ServiceChangeSerializer,
)
from referrals.models import Service
from services.api.concurrency import VersionConflict
from services.auth.tokens import Principal
from services.web import drafts, labels
from services.web.conflicts import Difference, differences, on_current_version
from services.web.forms import PackageForm, ServiceForm
from services.web.oidc import login_required, principal_of

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    from referrals.directory import Ownership

PAGE_SIZE = 50
IMPORTED = ("organizations", "locations", "services", "service_at_locations")
_ZIP_MAGIC = b"PK\x03\x04"
_FIELD_LABELS: dict[str, labels.Label] = {
    name: ServiceForm.base_fields[name].label or name for name in ServiceForm.FIELDS}


def _counts(request: HttpRequest) -> dict[str, int] | None:
    """What the last import brought, from the address it sent the user to."""
    raw = request.GET.get("imported", "")
    numbers = raw.split(",")
    if len(numbers) != len(IMPORTED) or not all(n.isdigit() for n in numbers):
        return None
    return dict(zip(IMPORTED, (int(n) for n in numbers), strict=True))


@login_required(*DIRECTORY_EDITORS)
def services(request: HttpRequest) -> HttpResponse:
    """The user's services, then the shared ones they may only read, by institution; a search
    narrows them by name."""
    principal = principal_of(request)
    search = request.GET.get("q", "").strip()
    rows = directory_services(principal)
    if search:
        rows = rows.filter(Q(name__icontains=search) | Q(organization__name__icontains=search))
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    shared = (Service.objects.filter(tenant__isnull=True).count()
              if principal.tenant else 0)
    return render(request, "web/admin/directory.html", {
        "page": page, "q": search, "shared": shared, "imported": _counts(request),
        "saved": request.GET.get("saved", ""), "import_form": PackageForm(),
        "regional": principal.tenant is None, "query": f"q={search}" if search else ""})


def service_value(name: str, value: Any) -> str:
    """A service's field as a person reads it, whether stored or typed."""
    if value is None or value in ("", []):
        return "–"
    if name == "status":
        return str(labels.label(labels.SERVICE_STATUSES, str(value)))
    if name == "minimum_education":
        return str(labels.label(labels.EDUCATION_LEVELS, str(value)))
    if name == "waiting_list_open":
        return str(labels.YES if value else labels.NO)
    if name == "target_groups":
        return ", ".join(str(labels.label(labels.TARGET_GROUPS, g)) for g in value)
    if name == "languages":
        return ", ".join(labels.SPOKEN_LANGUAGES.get(code, code) for code in value)
    if name == "next_intake_date" and hasattr(value, "isoformat"):
        return date_format(value, "SHORT_DATE_FORMAT")
    return str(value)


def _service_of(principal: Principal,
                service_id: UUID) -> WithAnnotations[Service, Ownership]:
    """A service the user sees, with `own`; another tenant's is not found, like a missing one."""
    service = directory_services(principal).filter(id=service_id).first()
    if service is None:
        raise Http404("not found")
    return service


def _stored(service: Service) -> dict[str, Any]:
    return {name: getattr(service, name) for name in ServiceForm.FIELDS}


@login_required(*DIRECTORY_EDITORS)
def edit_service(request: HttpRequest, service_id: UUID) -> HttpResponse:
    """Change a service's capacity and eligibility, based on the version the user saw; a shared
    service is only shown to a tenant administrator, and changing it is not found, as through
    the API."""
    principal = principal_of(request)
    service = _service_of(principal, service_id)
    if not service.own:
        if request.method == "POST":
            raise Http404("not found")
        return render(request, "web/admin/service.html", {
            "service": service, "read_only": True,
            "facts": [(_FIELD_LABELS[name], service_value(name, value))
                      for name, value in _stored(service).items()]})
    conflict: list[Difference] | None = None
    if request.method == "POST":
        form = ServiceForm(request.POST, spoken=service.languages)
        data = (form.validated_by(ServiceChangeSerializer, form.contract_data())
                if form.is_valid() else None)
        if data is not None:
            try:
                with transaction.atomic():
                    service_update(principal, service.id, form.cleaned_data["version"], data)
            except NotFound as gone:
                raise Http404("not found") from gone
            except VersionConflict:
                service = _service_of(principal, service_id)
                yours = {**form.cleaned_data}
                conflict = differences(_FIELD_LABELS.items(), _stored(service), yours,
                                       service_value)
                form = on_current_version(ServiceForm, request.POST, service.version,
                                          spoken=service.languages)
            except ValidationError as refused:
                detail = refused.detail
                form.add_service_objections(detail if isinstance(detail, dict)
                                            else {"": detail})
            else:
                return HttpResponseRedirect(f"{reverse('web-directory')}?saved={service.id}")
    else:
        restored = drafts.take(request, principal)
        form = ServiceForm(initial=drafts.initial_of(restored) if restored is not None
                           else {**_stored(service), "version": service.version},
                           spoken=service.languages)
    return render(request, "web/admin/service.html", {
        "service": service, "form": form, "conflict": conflict,
        "regional": principal.tenant is None}, status=409 if conflict is not None else 200)


def _package(raw: bytes) -> hsds.Package:
    """The package in an uploaded file: a zip of CSV files, or JSON."""
    known = known_term_ids()
    if raw.startswith(_ZIP_MAGIC):
        return hsds.parse_csv_package(raw, known_term_ids=known)
    return hsds.parse_json_package(raw, known_term_ids=known)


@login_required(*DIRECTORY_EDITORS)
def import_package(request: HttpRequest) -> HttpResponse:
    """Replace the user's directory (their tenant's, or the shared one) with an uploaded
    package, all or nothing."""
    principal = principal_of(request)
    form = PackageForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["package"]
        raw = upload.read(MAX_PACKAGE_BYTES + 1)
        if len(raw) > MAX_PACKAGE_BYTES:
            form.add_error("package", _("The file is larger than %(megabytes)s MB.")
                           % {"megabytes": MAX_PACKAGE_BYTES // (1024 * 1024)})
        else:
            try:
                with transaction.atomic():
                    counts = directory_import(principal, _package(raw))
            except hsds.PackageInvalid as invalid:
                problems = list(invalid.problems)
            else:
                numbers = ",".join(str(counts[name]) for name in IMPORTED)
                return HttpResponseRedirect(f"{reverse('web-directory')}?imported={numbers}")
    return render(request, "web/admin/import.html", {
        "import_form": form, "problems": problems, "regional": principal.tenant is None},
        status=400 if problems or form.errors else 200)


@login_required(*DIRECTORY_EXPORTERS)
def export_package(request: HttpRequest) -> HttpResponse:
    """The user's own directory (their tenant's, or the shared one; never both) as an HSDS
    package to download: JSON, or a zip of CSVs."""
    package = directory_export(principal_of(request))
    if request.GET.get("as") == "csv":
        response = HttpResponse(hsds.package_to_csv_zip(package),
                                content_type="application/zip")
        response["Content-Disposition"] = 'attachment; filename="hsds-directory.zip"'
        return response
    body = json.dumps(hsds.package_to_json(package), cls=DjangoJSONEncoder, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="hsds-directory.json"'
    return response
