"""Referring a client: pick the need, see the routing suggestions with why each stands where it
does (the rules it passed, each weighted component), choose one or another service, send.

The ranking is `referrals.suggestions.suggest` and the referral `referrals.services.
referral_create`, the very functions the API calls, so the page can neither rank nor refer by
rules of its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from rest_framework.exceptions import ValidationError

from intake.models import Client
from referrals.models import Service, TaxonomyTerm
from referrals.routing import Ranking
from referrals.services import referral_create
from referrals.suggestions import TENANT_LANGUAGES, RoutingRequest, suggest
from referrals.taxonomy import SKILLS
from services.web import drafts, labels
from services.web.explanations import component_reason, rule_reason
from services.web.forms import ReferForm
from services.web.layout import STAFF
from services.web.oidc import login_required, principal_of

OTHER_SERVICES_SHOWN = 300
# The service's field names, as the page's form calls them.
_FORM_FIELDS = {"service_id": "service", "need_id": "need"}


@dataclass(frozen=True)
class RuleShown:
    label: str | Promise
    passed: bool
    detail: str


@dataclass(frozen=True)
class ComponentShown:
    label: str | Promise
    value: float
    weight: float
    contribution: float
    detail: str


@dataclass(frozen=True)
class Explained:
    """A routing suggestion (or exclusion) as the page shows it."""

    service_id: str
    service_name: str
    organization_name: str
    eligible: bool
    rank: int | None
    score: float | None
    rules: list[RuleShown]
    components: list[ComponentShown]


def explained(explanation: Mapping[str, Any]) -> Explained:
    """A page's view of `Suggestion.explanation()` / `Exclusion.explanation()`; also of the
    ranking a referral keeps, so the counsellor sees later why they chose what they chose.
    The reasons are in the reader's language (`services.web.explanations`)."""
    return Explained(
        service_id=str(explanation["service_id"]),
        service_name=str(explanation["service_name"]),
        organization_name=str(explanation["organization_name"]),
        eligible=bool(explanation.get("eligible", True)),
        rank=explanation.get("rank"), score=explanation.get("score"),
        rules=[RuleShown(labels.label(labels.RULES, str(r["rule"])), bool(r["passed"]),
                         rule_reason(r)) for r in explanation.get("rules", [])],
        components=[ComponentShown(labels.label(labels.COMPONENTS, str(c["name"])),
                                   float(c["value"]), float(c["weight"]),
                                   float(c["contribution"]), component_reason(c))
                    for c in explanation.get("components", [])])


def need_terms() -> list[TaxonomyTerm]:
    """The kinds of skills development a client can be referred for."""
    return list(TaxonomyTerm.objects.filter(taxonomy__name=SKILLS).order_by("code"))


def _need_choices(needs: Sequence[TaxonomyTerm]) -> list[tuple[str, str | Promise]]:
    return [(str(n.id), labels.NEEDS.get(n.code, n.name)) for n in needs]


def _other_services(excluded_ids: set[str]) -> list[tuple[str, str]]:
    """Active services of the directory outside the ranking (own and shared entries)."""
    services = (Service.objects.filter(status="active").select_related("organization")
                .order_by("organization__name", "name")[:OTHER_SERVICES_SHOWN])
    return [(str(s.id), f"{s.organization.name}: {s.name}") for s in services
            if str(s.id) not in excluded_ids]


def _ranking(client: Client, need: TaxonomyTerm | None, languages: Sequence[str]
             ) -> Ranking | None:
    if need is None:
        return None
    return suggest(RoutingRequest(client=client, need=need, languages=tuple(languages)),
                   timezone.localdate())


@login_required(*STAFF)
def refer(request: HttpRequest, client_id: UUID) -> HttpResponse:
    principal = principal_of(request)
    client = get_object_or_404(
        Client.objects.filter(tenant_id=principal.tenant, erased_at__isnull=True), id=client_id)
    restored: QueryDict | None = None
    if request.method == "GET":
        restored = drafts.take(request, principal)
    data = request.POST if request.method == "POST" else (restored or request.GET)
    needs = need_terms()
    by_id = {str(n.id): n for n in needs}
    need = by_id.get(data.get("need", ""))
    # None ticked means the tenant's languages, as for the routing service itself.
    languages = data.getlist("languages") or list(TENANT_LANGUAGES.get(client.tenant_id, ()))
    ranking = _ranking(client, need, languages)
    ranked = [explained(s.explanation()) for s in ranking.suggestions] if ranking else []
    excluded = [explained(e.explanation()) for e in ranking.excluded] if ranking else []
    candidates = [(e.service_id, e.service_name) for e in (*ranked, *excluded)]
    choices: dict[str, Any] = {
        "needs": _need_choices(needs), "services": candidates,
        "other_services": _other_services({sid for sid, _ in candidates}) if need else []}
    initial = {"need": str(need.id) if need else "", "languages": languages,
               "service": ranked[0].service_id if ranked else ""}
    bound = request.method == "POST"
    form = ReferForm(data if bound else None, initial=initial, **choices)
    if restored is not None:
        form = ReferForm(initial={**initial, **{k: restored.get(k) for k in (
            "service", "other_service", "note")}}, **choices)
    if bound and form.is_valid():
        try:
            with transaction.atomic():
                referral = referral_create(
                    actor=principal, client_id=client.id,
                    service_id=UUID(form.chosen_service()),
                    need_id=UUID(form.cleaned_data["need"]),
                    languages=list(form.cleaned_data["languages"]),
                    note_for_partner=form.cleaned_data["note"], extra_target_groups=[],
                    send=True)
        except ValidationError as refused:
            detail = refused.detail
            form.add_service_objections(detail if isinstance(detail, dict) else {"": detail},
                                        names=_FORM_FIELDS)
        else:
            url = reverse("web-referral", args=[referral.id])
            return HttpResponseRedirect(f"{url}?sent=1")
    return render(request, "web/clients/refer.html", {
        "client": client, "form": form, "need": need, "languages": languages,
        "suggestions": ranked, "excluded": excluded, "restored": restored is not None,
        "chosen": str(form["service"].value() or ""),
    })
