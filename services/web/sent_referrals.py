"""The counsellor's side of referrals: which wait for an answer, which will expire soon, which
were answered; one referral with its history and the ranking it was chosen from; notifications.

"Soon" is `EXPIRING_WORKING_DAYS` working days, counted by `referrals.deadlines` in the
tenant's calendar (its holidays and time zone), the same count that sets the deadlines.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from referrals.deadlines import TENANT_TIMEZONES, answer_deadline
from referrals.models import Notification, Referral
from referrals.selectors import notifications_of, staff_referrals
from referrals.suggestions import routing_settings
from referrals.workflow import Actor, State
from services.auth.tokens import Principal, Role
from services.web import drafts
from services.web.layout import STAFF
from services.web.oidc import login_required, principal_of
from services.web.referring import explained
from services.web.steps import Submitted, restored_step, step_panels, take_step

EXPIRING_WORKING_DAYS = 2
RECENT = timedelta(days=14)
LISTED = 200


def _scope(principal: Principal, everyone: bool) -> QuerySet[Referral]:
    referrals = staff_referrals(principal).select_related("client", "service", "organization",
                                                          "need")
    if everyone:
        return referrals
    return referrals.filter(created_by_subject=principal.subject)


@login_required(*STAFF)
def overview(request: HttpRequest) -> HttpResponse:
    """Waiting, expiring soon, answered and expired lately: the counsellor's own by default,
    the tenant's on request (managers start with the tenant's)."""
    principal = principal_of(request)
    default = "all" if principal.has_role(Role.CENTRE_MANAGER, Role.TENANT_ADMIN) else "mine"
    who = request.GET.get("who", default)
    who = who if who in ("mine", "all") else default
    referrals = _scope(principal, who == "all")
    now = timezone.now()
    tenant = principal.tenant or ""
    soon = answer_deadline(now, EXPIRING_WORKING_DAYS, routing_settings(tenant).holidays,
                           ZoneInfo(TENANT_TIMEZONES[tenant]))
    sent = list(referrals.filter(state=State.SENT).order_by("due_at", "id")[:LISTED])
    return render(request, "web/referrals/overview.html", {
        "who": who,
        "expiring": [r for r in sent if r.due_at is not None and r.due_at <= soon],
        "waiting": [r for r in sent if r.due_at is None or r.due_at > soon],
        "answered": referrals.filter(answered_at__gte=now - RECENT)
                             .order_by("-answered_at")[:LISTED],
        "expired": referrals.filter(state=State.EXPIRED, closed_at__gte=now - RECENT)
                            .order_by("-closed_at")[:LISTED],
        "expiring_days": EXPIRING_WORKING_DAYS, "recent_days": RECENT.days,
    })


@login_required(*STAFF)
def referral(request: HttpRequest, referral_id: UUID) -> HttpResponse:
    """One referral of the tenant: where it stands, its history, the ranking it came from,
    and the sender's steps (cancel with a reason)."""
    principal = principal_of(request)
    submitted: Submitted | None = None
    if request.method == "POST":
        submitted = take_step(principal, referral_id, request.POST)
        if submitted.outcome == "done":
            url = reverse("web-referral", args=[referral_id])
            return HttpResponseRedirect(f"{url}?saved=1")
    else:
        draft = drafts.take(request, principal)
        submitted = restored_step(draft) if draft is not None else None
    current = get_object_or_404(
        staff_referrals(principal).select_related("client", "service", "organization", "need")
        .prefetch_related("transitions"), id=referral_id)
    conflict = submitted is not None and submitted.outcome == "conflict"
    return render(request, "web/referrals/referral.html", {
        "referral": current, "submitted": submitted, "saved": "saved" in request.GET,
        "sent": "sent" in request.GET,
        "panels": step_panels(current, Actor.SENDER, submitted),
        "ranking": [explained(s) for s in current.suggestions],
        "transitions": current.transitions.all(),
    }, status=409 if conflict else 200)


# What the institution did, as a sentence; the stored message is the English fallback.
_NOTICES: dict[str, str | Promise] = {
    "referral.accept": _("%(organization)s accepted the referral to %(service)s."),
    "referral.decline": _("%(organization)s declined the referral to %(service)s."),
    "referral.start": _("%(organization)s started %(service)s with the client."),
    "referral.hold": _("%(organization)s put the client on the waiting list for %(service)s."),
    "referral.complete": _("%(organization)s reports %(service)s completed."),
    "referral.not_complete": _("%(organization)s closed %(service)s as not completed."),
    "referral.expired": _("%(organization)s did not answer the referral to %(service)s "
                          "in time."),
}


def notice_text(note: Notification) -> str:
    """The notification in the reader's language."""
    template = _NOTICES.get(note.kind)
    if template is None or note.referral is None:
        return note.message
    text = str(template) % {"organization": note.referral.organization.name,
                            "service": note.referral.service.name}
    if note.kind == "referral.decline" and note.referral.reason:
        text += " " + str(_("Reason: %(reason)s")) % {"reason": note.referral.reason}
    following: Any = (note.data or {}).get("next_suggestion")
    if isinstance(following, dict) and following.get("service_name"):
        text += " " + str(_("Next suggestion: %(service)s (%(organization)s).")) % {
            "service": following["service_name"],
            "organization": following.get("organization_name", "")}
    return text


@login_required(*STAFF)
def notifications(request: HttpRequest) -> HttpResponse:
    """The user's notifications, newest first; posting marks them all read."""
    principal = principal_of(request)
    mine = notifications_of(principal)
    if request.method == "POST":
        mine.filter(read_at__isnull=True).update(read_at=timezone.now())
        return HttpResponseRedirect(reverse("web-notifications"))
    notes = list(mine.select_related("referral__service", "referral__organization")
                 .order_by("-created_at", "-id")[:LISTED])
    return render(request, "web/referrals/notifications.html", {
        "notes": [(note, notice_text(note)) for note in notes],
        "unread": any(note.read_at is None for note in notes),
    })
