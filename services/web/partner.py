"""The institution's inbox: the referrals sent to the partner user's own institution, and the
steps they take on them. A partner sees the minimum about the client that the API shows them
(name, phone, e-mail; the need, languages and the counsellor's note), and every such read is
in the audit log, as through the API."""

from __future__ import annotations

from uuid import UUID

from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from referrals.models import Referral
from referrals.selectors import PARTNER_FIELDS, partner_referrals
from referrals.workflow import ANSWERED, TERMINAL, Actor, State
from services.auth.tokens import Principal, Role
from services.web import drafts
from services.web.audit import audit_read
from services.web.oidc import login_required, principal_of
from services.web.steps import Submitted, restored_step, step_panels, take_step

PAGE_SIZE = 25

# The inbox's tabs: waiting for the institution's answer, being worked on, finished.
GROUPS: dict[str, tuple[str | Promise, frozenset[State]]] = {
    "new": (_("New"), frozenset({State.SENT})),
    "active": (_("In progress"), ANSWERED - TERMINAL),
    "closed": (_("Closed"), TERMINAL),
}

_REFERRAL_FIELDS = ("id", "version", "state", "tenant_id", "languages", "note_for_partner",
                    "sent_at", "due_at", "answered_at", "closed_at", "outcome", "created_at",
                    "client_id", "service__name", "need__code", "need__name")


def _inbox(principal: Principal) -> QuerySet[Referral]:
    """The partner's referrals, loading no client field beyond what a partner may see."""
    return (partner_referrals(principal).select_related("client", "service", "need")
            .only(*_REFERRAL_FIELDS, *(f"client__{name}" for name in PARTNER_FIELDS)))


@login_required(Role.PARTNER)
def inbox(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    group = request.GET.get("state", "new")
    if group not in GROUPS:
        group = "new"
    referrals = _inbox(principal)
    counts = referrals.aggregate(**{
        name: Count("id", filter=Q(state__in=states)) for name, (_label, states) in GROUPS.items()})
    page = Paginator(referrals.filter(state__in=GROUPS[group][1])
                     .order_by("-sent_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    audit_read(request, principal, action="referral_list",
               client_ids=[r.client_id for r in page], fields=PARTNER_FIELDS)
    tabs = [(name, label, counts[name], name == group) for name, (label, _states) in GROUPS.items()]
    return render(request, "web/partner/inbox.html", {
        "tabs": tabs, "group": group, "page": page})


@login_required(Role.PARTNER)
def referral(request: HttpRequest, referral_id: UUID) -> HttpResponse:
    """One referral: what the institution needs to know, and the steps it may take now."""
    principal = principal_of(request)
    submitted: Submitted | None = None
    if request.method == "POST":
        submitted = take_step(principal, referral_id, request.POST)
        if submitted.outcome == "done":
            url = reverse("web-partner-referral", args=[referral_id])
            return HttpResponseRedirect(f"{url}?saved=1")
    else:
        draft = drafts.take(request, principal)
        submitted = restored_step(draft) if draft is not None else None
    current = get_object_or_404(_inbox(principal), id=referral_id)
    audit_read(request, principal, action="referral_read", client_ids=[current.client_id],
               fields=PARTNER_FIELDS)
    conflict = submitted is not None and submitted.outcome == "conflict"
    return render(request, "web/partner/referral.html", {
        "referral": current, "submitted": submitted, "saved": "saved" in request.GET,
        "panels": step_panels(current, Actor.PARTNER, submitted),
    }, status=409 if conflict else 200)
