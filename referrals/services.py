"""Every change to a referral, each in one transaction with its transition row, its event in the
outbox, the notifications it causes and the webhook deliveries it queues.

Two kinds of caller act on referrals: the sending tenant's staff and the receiving institution's
partner users. Each finds a referral only through its own scope (`referrals.selectors`), so a
referral outside it answers exactly like a missing one (404). The scheduler acts as `system`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound, ValidationError

from intake.models import Client
from referrals import events, webhooks
from referrals.deadlines import TENANT_TIMEZONES, answer_deadline
from referrals.models import (
    Notification,
    Referral,
    ReferralTransition,
    RoutingSettings,
    Service,
    TaxonomyTerm,
)
from referrals.selectors import partner_referrals, staff_referrals
from referrals.suggestions import (
    TENANT_LANGUAGES,
    RoutingRequest,
    forget_institution_records,
    routing_settings,
    suggest,
)
from referrals.workflow import (
    OUTCOMES,
    Action,
    Actor,
    IllegalTransition,
    MissingJustification,
    State,
    apply,
)
from services.api.concurrency import VersionConflict
from services.auth.tokens import Principal, Role
from services.events.pseudonym import client_pseudonym
from services.events.topics import REFERRALS
from services.outbox.models import OutboxEvent
from services.outbox.services import outbox_append_many, outbox_event

SUGGESTIONS_KEPT = 5


class TransitionConflict(APIException):
    """409: the action is not possible from the referral's state; says which ones are."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "illegal_transition"

    def __init__(self, illegal: IllegalTransition) -> None:
        super().__init__(str(illegal))
        self.allowed = [action.value for action in illegal.allowed]
        self.state = illegal.state.value

    def extra(self) -> dict[str, Any]:
        return {"state": self.state, "allowed": self.allowed}


@dataclass(frozen=True)
class Step:
    """What a caller asks for: an action and, where the diagram needs them, reason and outcome."""

    action: Action
    reason: str = ""
    outcome: str = ""


def actor_kind(principal: Principal) -> Actor:
    return Actor.PARTNER if principal.has_role(Role.PARTNER) else Actor.SENDER


def _tenant(principal: Principal) -> str:
    if principal.tenant is None:
        raise NotFound("not found")
    return principal.tenant


def referral_create(*, actor: Principal, client_id: UUID, service_id: UUID, need_id: UUID,
                    languages: list[str], note_for_partner: str, extra_target_groups: list[str],
                    send: bool, now: datetime | None = None) -> Referral:
    """Refer a client to a service for a need, recording where the service stood in routing."""
    tenant_id = _tenant(actor)
    now = now or timezone.now()
    try:
        client = Client.objects.get(tenant_id=tenant_id, id=client_id, erased_at__isnull=True)
    except Client.DoesNotExist as missing:
        raise ValidationError({"client_id": ["no such client in your tenant"]}) from missing
    try:
        need = TaxonomyTerm.objects.get(id=need_id)
    except TaxonomyTerm.DoesNotExist as missing:
        raise ValidationError({"need_id": ["no such taxonomy term"]}) from missing
    try:
        service = Service.objects.select_related("organization").get(id=service_id)
    except Service.DoesNotExist as missing:
        raise ValidationError({"service_id": ["no such service in your directory"]}) from missing
    if service.status != "active":
        raise ValidationError({"service_id": [f"the service is {service.status}"]})
    ranking = suggest(RoutingRequest(client=client, need=need, languages=tuple(languages),
                                     extra_target_groups=tuple(extra_target_groups)), now.date())
    kept = ranking.suggestions[:SUGGESTIONS_KEPT]
    rank = next((s.rank for s in ranking.suggestions if s.candidate.service_id == str(service.id)),
                None)
    referral = Referral.objects.create(
        tenant_id=tenant_id, client=client, service=service, organization=service.organization,
        need=need, languages=languages or list(TENANT_LANGUAGES.get(tenant_id, ())),
        note_for_partner=note_for_partner,
        suggestions=[s.explanation() for s in kept], suggestion_rank=rank,
        top_suggestion_id=UUID(kept[0].candidate.service_id) if kept else None,
        created_by_subject=actor.subject, created_by_username=actor.username)
    if send:
        _transition(referral, Step(Action.SEND), Actor.SENDER, actor.subject, actor.username, now)
    return referral


def referral_act(*, actor: Principal, referral_id: UUID, step: Step,
                 expected_version: int | None = None, now: datetime | None = None) -> Referral:
    """Move a referral on, as its sender's staff or as the institution's partner user."""
    kind = actor_kind(actor)
    scope = partner_referrals(actor) if kind == Actor.PARTNER else staff_referrals(actor)
    try:
        referral = scope.select_for_update(of=("self",)).get(id=referral_id)
    except Referral.DoesNotExist as missing:
        raise NotFound("not found") from missing
    if expected_version is not None and expected_version != referral.version:
        raise VersionConflict(referral.version)
    _transition(referral, step, kind, actor.subject, actor.username, now or timezone.now())
    return referral


def _transition(referral: Referral, step: Step, kind: Actor, subject: str, username: str,
                now: datetime) -> None:
    before = State(referral.state)
    try:
        after = apply(before, step.action, kind, reason=step.reason, outcome=step.outcome)
    except IllegalTransition as illegal:
        raise TransitionConflict(illegal) from illegal
    except MissingJustification as missing:
        raise ValidationError({missing.field: [f"{step.action.value} needs a {missing.field}"]}
                              ) from missing
    if step.action in (Action.COMPLETE, Action.NOT_COMPLETE) and step.outcome not in OUTCOMES:
        raise ValidationError({"outcome": [f"must be one of: {', '.join(OUTCOMES)}"]})
    referral.state = after.value
    referral.version += 1
    if step.action == Action.SEND:
        settings = routing_settings(referral.tenant_id)
        referral.sent_at = now
        referral.due_at = answer_deadline(now, settings.answer_working_days, settings.holidays,
                                          ZoneInfo(TENANT_TIMEZONES[referral.tenant_id]))
    if step.action in (Action.ACCEPT, Action.DECLINE):
        referral.answered_at = now
    if step.reason:
        referral.reason = step.reason
    if step.outcome:
        referral.outcome = step.outcome
    if after in (State.DECLINED, State.COMPLETED, State.NOT_COMPLETED, State.CANCELLED,
                 State.EXPIRED):
        referral.closed_at = now
    referral.save()
    ReferralTransition.objects.create(
        tenant_id=referral.tenant_id, referral=referral, action=step.action.value,
        from_state=before.value, to_state=after.value, at=now, actor_subject=subject,
        actor_username=username, actor_kind=kind.value, reason=step.reason,
        outcome=step.outcome)
    forget_institution_records(referral.tenant_id)
    event = _emit(referral, step.action, now)
    _notify(referral, step, kind, username)
    webhooks.enqueue(referral, event, now=now)


def referral_event(referral: Referral, action: Action, occurred_at: datetime) -> OutboxEvent:
    """The (unsaved) outbox row reporting `referral` as it is now, after `action`;
    `msc replay` rebuilds the statistics from it."""
    payload = events.ReferralChanged(
        referral_id=str(referral.id),
        client_pseudonym=client_pseudonym(referral.tenant_id, referral.client_id),
        organization_id=str(referral.organization_id),
        organization_name=referral.organization.name, service_id=str(referral.service_id),
        service_name=referral.service.name, need=referral.need.code, action=action.value,
        state=referral.state, occurred_at=occurred_at, sent_at=referral.sent_at,
        answered_at=referral.answered_at, suggestion_rank=referral.suggestion_rank,
        outcome=referral.outcome)
    return outbox_event(tenant_id=referral.tenant_id, topic=REFERRALS.name,
                        event_type=events.REFERRAL_EVENT_TYPES[action],
                        subject=str(referral.id), aggregate_id=str(referral.id),
                        aggregate_version=referral.version, payload=payload)


def _emit(referral: Referral, action: Action, now: datetime) -> OutboxEvent:
    event = referral_event(referral, action, now)
    outbox_append_many([event])
    return event


_PARTNER_NEWS = {
    Action.ACCEPT: "accepted", Action.DECLINE: "declined", Action.START: "started",
    Action.HOLD: "put on the waiting list", Action.COMPLETE: "completed",
    Action.NOT_COMPLETE: "closed as not completed",
}


def _notify(referral: Referral, step: Step, kind: Actor, username: str) -> None:
    """Tell the counsellor who sent it what the institution did (expiry has its own message)."""
    if kind != Actor.PARTNER or step.action not in _PARTNER_NEWS:
        return
    why = f": {step.reason}" if step.reason else ""
    Notification.objects.create(
        tenant_id=referral.tenant_id, recipient_subject=referral.created_by_subject,
        referral=referral, kind=f"referral.{step.action.value}",
        message=(f"{referral.organization.name} {_PARTNER_NEWS[step.action]} the referral to "
                 f"{referral.service.name}{why}"),
        data={"referral_id": str(referral.id), "state": referral.state})


def referral_expire(referral: Referral, now: datetime) -> None:
    """Expire a referral the institution left unanswered; offer the counsellor the next service."""
    _transition(referral, Step(Action.EXPIRE), Actor.SYSTEM, "system", "scheduler", now)
    client = referral.client
    ranking = suggest(RoutingRequest(client=client, need=referral.need,
                                     languages=tuple(referral.languages)), now.date(),
                      exclude_service_ids=frozenset({referral.service_id}))
    following = ranking.suggestions[0] if ranking.suggestions else None
    offer = (f"; next suggestion: {following.candidate.service_name} "
             f"({following.candidate.organization_name})" if following else
             "; no other service offers this need now")
    Notification.objects.create(
        tenant_id=referral.tenant_id, recipient_subject=referral.created_by_subject,
        referral=referral, kind="referral.expired",
        message=(f"{referral.organization.name} did not answer the referral to "
                 f"{referral.service.name} in time{offer}"),
        data={"referral_id": str(referral.id),
              "next_suggestion": following.explanation() if following else None})


def routing_settings_update(*, actor: Principal, expected_version: int,
                            changes: dict[str, Any]) -> RoutingSettings:
    """Change the caller's tenant's routing weights and answer deadline over the version the
    caller saw, else raise VersionConflict (someone else changed them meanwhile).

    `changes` are checked already (`referrals.directory_apis.RoutingSettingsSerializer`, which
    the API and the web page both use); holidays are kept once each, in date order.
    """
    tenant_id = _tenant(actor)
    with transaction.atomic():
        row = RoutingSettings.objects.select_for_update().get(
            pk=routing_settings(tenant_id).pk)
        if row.version != expected_version:
            raise VersionConflict(row.version)
        for name, value in changes.items():
            setattr(row, name, sorted(set(value)) if name == "holidays" else value)
        row.version += 1
        row.updated_by = actor.username
        row.save()
    return row
