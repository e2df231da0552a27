"""Payloads of the events referrals emit: every step of a referral, and directory capacity changes.

Pseudonymised like intake's: the client travels only as the keyed pseudonym; reasons, notes and
names stay in PostgreSQL (free text may hold personal data), only coded outcomes leave.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from referrals.workflow import Action, State
from services.events.registry import register_event

_PREFIX = "org.msc.referrals.referral"
REFERRAL_EVENT_TYPES: dict[Action, str] = {
    Action.SEND: f"{_PREFIX}.sent.v1",
    Action.ACCEPT: f"{_PREFIX}.accepted.v1",
    Action.DECLINE: f"{_PREFIX}.declined.v1",
    Action.START: f"{_PREFIX}.started.v1",
    Action.HOLD: f"{_PREFIX}.held.v1",
    Action.COMPLETE: f"{_PREFIX}.completed.v1",
    Action.NOT_COMPLETE: f"{_PREFIX}.not-completed.v1",
    Action.CANCEL: f"{_PREFIX}.cancelled.v1",
    Action.EXPIRE: f"{_PREFIX}.expired.v1",
}
SERVICE_CAPACITY_CHANGED = "org.msc.referrals.service.capacity-changed.v1"


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReferralChanged(_Payload):
    """A referral after one transition; `state` is where it now stands."""

    referral_id: str
    client_pseudonym: str
    organization_id: str
    # Institutions and services are public directory entries, not personal data: their names
    # travel so the statistics can show them without reading the directory.
    organization_name: str
    service_id: str
    service_name: str
    need: str
    action: str
    state: str
    occurred_at: datetime
    sent_at: datetime | None
    answered_at: datetime | None
    # Where the chosen service stood in the routing suggestions (None: chosen outside them).
    suggestion_rank: int | None
    outcome: str


class ServiceCapacityChanged(_Payload):
    service_id: str
    organization_id: str
    shared: bool
    seats_total: int | None
    seats_available: int | None
    waiting_list_open: bool
    waiting_list_length: int
    changed_at: datetime


def _example(action: Action, state: State) -> dict[str, object]:
    return {
        "referral_id": "6b0e51f6-3b3c-4d44-8a53-0b7d7b1e0001",
        "client_pseudonym": "p1-5f0c2a9e1b7d4c3a",
        "organization_id": "0d6f3c1e-2a4b-4c5d-8e9f-000000000001",
        "organization_name": "Tirana Language School",
        "service_id": "0d6f3c1e-2a4b-4c5d-8e9f-000000000002",
        "service_name": "English B1, Tirana",
        "need": "skills:language-course",
        "action": action.value,
        "state": state.value,
        "occurred_at": "2008-09-02T09:00:00Z",
        "sent_at": "2008-09-01T10:00:00Z",
        "answered_at": None if state in (State.SENT, State.EXPIRED) else "2008-09-02T09:00:00Z",
        "suggestion_rank": 1,
        "outcome": "certificate" if state == State.COMPLETED else "",
    }


_TARGETS = {
    Action.SEND: State.SENT, Action.ACCEPT: State.ACCEPTED, Action.DECLINE: State.DECLINED,
    Action.START: State.IN_PROGRESS, Action.HOLD: State.ON_HOLD, Action.COMPLETE: State.COMPLETED,
    Action.NOT_COMPLETE: State.NOT_COMPLETED, Action.CANCEL: State.CANCELLED,
    Action.EXPIRE: State.EXPIRED,
}
for _action, _type in REFERRAL_EVENT_TYPES.items():
    register_event(_type, ReferralChanged, examples=[_example(_action, _TARGETS[_action])])

register_event(SERVICE_CAPACITY_CHANGED, ServiceCapacityChanged, examples=[{
    "service_id": "0d6f3c1e-2a4b-4c5d-8e9f-000000000002",
    "organization_id": "0d6f3c1e-2a4b-4c5d-8e9f-000000000001",
    "shared": False, "seats_total": 20, "seats_available": 3, "waiting_list_open": True,
    "waiting_list_length": 0, "changed_at": "2008-09-01T10:00:00Z",
}])
