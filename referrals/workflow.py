"""The life of a referral of a client to a skills-development institution, as a state machine.

Pure on purpose: no Django and no database, so the rules can be read in one place, tested
exhaustively, and enforced identically by the API, the partner portal and the scheduler.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType


class State(StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    IN_PROGRESS = "in_progress"
    ON_HOLD = "on_hold"
    COMPLETED = "completed"
    NOT_COMPLETED = "not_completed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class Action(StrEnum):
    SEND = "send"
    ACCEPT = "accept"
    DECLINE = "decline"
    START = "start"
    HOLD = "hold"
    COMPLETE = "complete"
    NOT_COMPLETE = "not_complete"
    CANCEL = "cancel"
    EXPIRE = "expire"


class Actor(StrEnum):
    """Who may act: each action belongs to exactly one side, so no one can answer for another."""

    SENDER = "sender"  # the counsellor's tenant staff
    PARTNER = "partner"  # the institution the client is referred to
    SYSTEM = "system"  # the scheduler, which expires unanswered referrals


@dataclass(frozen=True)
class Transition:
    action: Action
    sources: frozenset[State]
    target: State
    actor: Actor
    needs_reason: bool = False
    needs_outcome: bool = False


def _t(action: Action, sources: set[State], target: State, actor: Actor, *,
       reason: bool = False, outcome: bool = False) -> Transition:
    """A transition, written compactly so the table below reads like the diagram."""
    return Transition(action, frozenset(sources), target, actor, reason, outcome)


TRANSITIONS: Mapping[Action, Transition] = MappingProxyType({t.action: t for t in (
    _t(Action.SEND, {State.DRAFT}, State.SENT, Actor.SENDER),
    _t(Action.ACCEPT, {State.SENT}, State.ACCEPTED, Actor.PARTNER),
    _t(Action.DECLINE, {State.SENT}, State.DECLINED, Actor.PARTNER, reason=True),
    # From accepted straight to a course, or onto the waiting list; back from it to the course.
    _t(Action.START, {State.ACCEPTED, State.ON_HOLD}, State.IN_PROGRESS, Actor.PARTNER),
    _t(Action.HOLD, {State.ACCEPTED, State.IN_PROGRESS}, State.ON_HOLD, Actor.PARTNER),
    _t(Action.COMPLETE, {State.IN_PROGRESS}, State.COMPLETED, Actor.PARTNER, outcome=True),
    _t(Action.NOT_COMPLETE, {State.IN_PROGRESS, State.ON_HOLD}, State.NOT_COMPLETED,
       Actor.PARTNER, reason=True, outcome=True),
    _t(Action.CANCEL, {State.DRAFT, State.SENT, State.ACCEPTED, State.ON_HOLD,
                       State.IN_PROGRESS}, State.CANCELLED, Actor.SENDER, reason=True),
    _t(Action.EXPIRE, {State.SENT}, State.EXPIRED, Actor.SYSTEM),
)})

TERMINAL: frozenset[State] = frozenset({
    State.DECLINED, State.COMPLETED, State.NOT_COMPLETED, State.CANCELLED, State.EXPIRED})

# The institution has answered once it accepted or declined; every state only reachable through
# acceptance implies an answer too. Cancelled is left out: a sender may cancel before any answer.
ANSWERED: frozenset[State] = frozenset({
    State.ACCEPTED, State.DECLINED, State.IN_PROGRESS, State.ON_HOLD, State.COMPLETED,
    State.NOT_COMPLETED})

# Suggested codes for an outcome, so statistics can count them; apply() accepts any text because
# institutions record outcomes their own way.
OUTCOMES: tuple[str, ...] = (
    "certificate", "finished_without_certificate", "employed", "dropped_out", "no_show", "other")


def outcome_is_valid(outcome: str) -> bool:
    """Whether an outcome is one of the coded OUTCOMES (rather than free text)."""
    return outcome in OUTCOMES


def allowed_actions(state: State, actor: Actor | None = None) -> list[Action]:
    """What may be done from a state (by one actor, or by anyone), in declaration order."""
    return [action for action in Action
            if state in TRANSITIONS[action].sources
            and (actor is None or TRANSITIONS[action].actor == actor)]


class IllegalTransition(Exception):
    """An action the state, or the actor's role, does not permit; says what is permitted."""

    def __init__(self, state: State, action: Action, allowed: list[Action],
                 actor: Actor | None = None) -> None:
        self.state, self.action, self.allowed, self.actor = state, action, allowed, actor
        who = f"{actor} " if actor is not None else ""
        message = f"{who}cannot {action} a referral that is {state}"
        owner = TRANSITIONS[action].actor
        if actor is not None and owner != actor and state in TRANSITIONS[action].sources:
            message += f" (only the {owner} may {action})"
        super().__init__(f"{message}; allowed: {', '.join(allowed) or 'nothing'}")


class MissingJustification(ValueError):
    """A decline, cancellation or ending without the reason or outcome the record needs."""

    def __init__(self, action: Action, field: str) -> None:
        self.action, self.field = action, field
        super().__init__(f"{action} needs a non-blank {field}")


def apply(state: State, action: Action, actor: Actor, *, reason: str = "",
          outcome: str = "") -> State:
    """The state after `actor` does `action`; raises rather than returning an unchanged state,
    so a caller cannot mistake a refused action for a done one."""
    transition = TRANSITIONS[action]
    if state not in transition.sources or transition.actor != actor:
        raise IllegalTransition(state, action, allowed_actions(state, actor), actor)
    if transition.needs_outcome and not outcome.strip():
        raise MissingJustification(action, "outcome")
    if transition.needs_reason and not reason.strip():
        raise MissingJustification(action, "reason")
    return transition.target
