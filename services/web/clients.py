"""Finding a client fast, and the client's page: who they are and everything that happened
(visits, group sessions, referrals and each of their steps), newest first.

One search box takes what a counsellor has at hand: a name in Latin or Cyrillic, with or
without diacritics (compared by `intake.names.name_key`, as the API and duplicate detection
do), a birth year, a phone number in any notation. Reads are audited like the API's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from intake.models import Client, Visit
from intake.names import name_key
from intake.search import loose_name_key, loose_word, phone_digits
from intake.services import PERSONAL_FIELDS
from referrals.models import Referral
from referrals.selectors import staff_referrals
from services.auth.tokens import Principal, Role
from services.web import drafts, labels, visits
from services.web.audit import audit_read
from services.web.layout import STAFF
from services.web.oidc import login_required, principal_of
from services.web.registration import stay_value

RESULTS_SHOWN = 50
MIN_PHONE_DIGITS = 6
_PHONE = re.compile(r"^\+?[\d\s()./-]+$")
_YEAR = re.compile(r"^\d{4}$")


@dataclass(frozen=True)
class ClientQuery:
    """What a search box's text asks for."""

    name_words: tuple[str, ...] = ()
    birth_year: int | None = None
    phone_digits: str = ""

    def __bool__(self) -> bool:
        return bool(self.name_words or self.birth_year or self.phone_digits)


def parse_query(text: str, *, this_year: int) -> ClientQuery:
    """A phone number if the text is one; otherwise a birth year among name words."""
    text = text.strip()
    digits = re.sub(r"\D", "", text)
    if _PHONE.match(text) and len(digits) >= MIN_PHONE_DIGITS:
        # National (069...) and international (+355 69..., 00355 69...) notations meet in the
        # subscriber number, so leading zeros are dropped and the stored number must contain it.
        return ClientQuery(phone_digits=digits.lstrip("0"))
    year = None
    words = []
    for token in text.split():
        if _YEAR.match(token) and 1900 <= int(token) <= this_year:
            year = int(token)
        else:
            words.append(token)
    return ClientQuery(name_words=tuple(name_key(" ".join(words)).split()), birth_year=year)


def client_search(principal: Principal, query: ClientQuery) -> QuerySet[Client]:
    """The tenant's clients matching every part of the query."""
    clients = Client.objects.filter(tenant_id=principal.tenant, erased_at__isnull=True)
    if query.name_words:
        clients = clients.annotate(loose_key=loose_name_key())
        for word in query.name_words:
            clients = clients.filter(loose_key__contains=loose_word(word))
    if query.birth_year:
        clients = clients.filter(birth_year=query.birth_year)
    if query.phone_digits:
        clients = clients.annotate(phone_digits=phone_digits()).filter(
            phone_digits__contains=query.phone_digits)
    return clients.order_by("family_name", "given_name", "id")


@login_required(*STAFF)
def search(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    text = request.GET.get("q", "")
    query = parse_query(text, this_year=timezone.localdate().year)
    found = list(client_search(principal, query)[:RESULTS_SHOWN + 1]) if query else []
    shown = found[:RESULTS_SHOWN]
    audit_read(request, principal, action="list", client_ids=[c.id for c in shown],
               fields=PERSONAL_FIELDS)
    return render(request, "web/clients/search.html", {
        "q": text, "searched": bool(query), "clients": shown,
        "more": len(found) > RESULTS_SHOWN, "limit": RESULTS_SHOWN,
        "erased": "erased" in request.GET})


@dataclass(frozen=True)
class Moment:
    """One entry of a client's timeline."""

    at: datetime
    kind: str  # visit, session or referral
    title: str
    details: list[str] = field(default_factory=list)
    state: str = ""
    link: str = ""
    correct_link: str = ""  # where a visit recorded by itself is corrected


def _words(mapping: Mapping[str, labels.Label], codes: list[str]) -> str:
    return ", ".join(str(labels.label(mapping, code)) for code in codes)


def _visit_moment(visit: Visit) -> Moment:
    details = [str(labels.label(labels.CHANNELS, visit.channel)),
               _words(labels.VISIT_SERVICES, list(visit.services))]
    if visit.topics:
        details.append(_words(labels.TOPICS, list(visit.topics)))
    details.append(_("by %(counsellor)s") % {"counsellor": visit.counsellor_username})
    if visit.group_session_id is not None and visit.group_session is not None:
        return Moment(visit.occurred_at, "session", _("Group session: %(topic)s at %(centre)s")
                      % {"topic": visit.group_session.topic, "centre": visit.centre.name},
                      details)
    return Moment(visit.occurred_at, "visit",
                  _("Visit at %(centre)s") % {"centre": visit.centre.name}, details,
                  correct_link=reverse("web-visit-edit", args=[visit.id]))


def _referral_moments(referral: Referral) -> list[Moment]:
    link = reverse("web-referral", args=[referral.id])
    need = labels.NEEDS.get(referral.need.code, referral.need.name)
    title = _("Referral to %(service)s (%(organization)s) for %(need)s") % {
        "service": referral.service.name, "organization": referral.organization.name,
        "need": need}
    moments = []
    for step in referral.transitions.all():
        details = [_("by %(counsellor)s") % {"counsellor": step.actor_username}]
        if step.outcome:
            details.append(str(labels.label(labels.OUTCOMES, step.outcome)))
        if step.reason:
            details.append(step.reason)
        moments.append(Moment(step.at, "referral", title, details, state=step.to_state,
                              link=link))
    return moments


def client_timeline(principal: Principal, client: Client) -> list[Moment]:
    """Visits, group sessions and referral steps of the client, newest first."""
    visits = (Visit.objects.filter(tenant_id=principal.tenant, client=client)
              .select_related("centre", "group_session"))
    referrals = (staff_referrals(principal).filter(client=client)
                 .select_related("service", "organization", "need")
                 .prefetch_related("transitions"))
    moments = [_visit_moment(v) for v in visits]
    for referral in referrals:
        moments.extend(_referral_moments(referral))
    return sorted(moments, key=lambda m: m.at, reverse=True)


def category_label(client: Client) -> str | Promise:
    return labels.label(labels.CATEGORIES, client.category)


# What the page says after a step taken elsewhere (`?registered=1` ...).
_DONE = ("registered", "saved", "visit", "corrected")


@login_required(*STAFF)
def client_page(request: HttpRequest, client_id: UUID) -> HttpResponse:
    """The client and their timeline; posting the page's visit form records a visit
    (`services.web.visits`), and a visit posted after the login ended comes back to check."""
    principal = principal_of(request)
    client = get_object_or_404(
        Client.objects.filter(tenant_id=principal.tenant, erased_at__isnull=True), id=client_id)
    restored = None
    if request.method == "POST":
        form, saved = visits.record(principal, client, request.POST)
        if saved:
            url = reverse("web-client", args=[client.id])
            return HttpResponseRedirect(f"{url}?visit=1#timeline-heading")
    else:
        restored = drafts.take(request, principal)
        form = visits.visit_form(principal, restored=restored)
    audit_read(request, principal, action="read", client_ids=[client.id],
               fields=PERSONAL_FIELDS)
    referrals = (staff_referrals(principal).filter(client=client)
                 .select_related("service", "organization", "need").order_by("-created_at"))
    done = next((name for name in _DONE if name in request.GET), "")
    return render(request, "web/clients/client.html", {
        "client": client, "category": category_label(client), "referrals": referrals,
        "timeline": client_timeline(principal, client), "visit_form": form,
        "restored": restored is not None, "done": done,
        "stays": [stay_value(stay) for stay in client.stays.values(
            "country", "purpose", "year_from", "year_to")],
        "may_erase": principal.has_role(Role.TENANT_ADMIN)})
