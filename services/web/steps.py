"""Taking a step on a referral from a page (accept, decline, start, hold, complete, cancel...),
for the institution's partner users and the sending counsellors alike.

The step goes through `referrals.services.referral_act`, exactly as the API's does, inside a
savepoint: whatever it refuses leaves nothing behind. A step someone else's change has made
stale (the version the user saw is gone, or the state no longer allows it) is the API's 409:
the page then shows the referral as it is now and what may be done from there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal
from uuid import UUID

from django.db import transaction
from django.http import Http404, QueryDict
from rest_framework.exceptions import NotFound, ValidationError

from referrals.models import Referral
from referrals.services import Step, TransitionConflict, referral_act
from referrals.workflow import TRANSITIONS, Action, Actor, State, allowed_actions
from services.api.concurrency import VersionConflict
from services.auth.tokens import Principal
from services.web.forms import StepForm
from services.web.labels import ACTIONS, Label

Outcome = Literal["done", "invalid", "conflict", "restored"]


@dataclass(frozen=True)
class Submitted:
    """A step the user sent (or that came back from a draft), and how it went."""

    action: str
    form: StepForm
    outcome: Outcome


@dataclass(frozen=True)
class StepPanel:
    """One step the user may take now, with the fields the workflow says it needs."""

    action: str
    label: Label
    needs_reason: bool
    needs_outcome: bool
    form: StepForm


def _form(action: str, data: QueryDict | None = None,
          initial: dict[str, Any] | None = None) -> StepForm:
    return StepForm(data, initial=initial, auto_id=f"{action}-%s")


def _action(data: QueryDict) -> Action | None:
    try:
        action = Action(data.get("action", ""))
    except ValueError:
        return None
    return None if action == Action.EXPIRE else action


def take_step(principal: Principal, referral_id: UUID, data: QueryDict) -> Submitted:
    """Apply the posted step through the referral service."""
    action = _action(data)
    if action is None:
        raise Http404("no such step")
    form = _form(action, data)
    if not form.is_valid():
        return Submitted(action, form, "invalid")
    step = Step(action, form.cleaned_data["reason"], form.cleaned_data["outcome"])
    try:
        with transaction.atomic():
            referral_act(actor=principal, referral_id=referral_id, step=step,
                         expected_version=form.cleaned_data["version"])
    except NotFound as missing:
        raise Http404("not found") from missing
    except (TransitionConflict, VersionConflict):
        return Submitted(action, form, "conflict")
    except ValidationError as refused:
        detail = refused.detail
        form.add_service_objections(detail if isinstance(detail, dict) else {"": detail})
        return Submitted(action, form, "invalid")
    return Submitted(action, form, "done")


def restored_step(data: QueryDict) -> Submitted | None:
    """A step the user had posted when their login ended, back in its form to check and send."""
    action = _action(data)
    if action is None:
        return None
    initial = {name: data.get(name) for name in ("reason", "outcome", "version")}
    return Submitted(action, _form(action, initial=initial), "restored")


def step_panels(referral: Referral, actor: Actor, submitted: Submitted | None) -> list[StepPanel]:
    """The steps `actor` may take from the referral's current state; the one the user sent
    keeps its input (and its errors)."""
    panels = []
    for action in allowed_actions(State(referral.state), actor):
        transition = TRANSITIONS[action]
        if submitted is not None and submitted.action == action:
            form = submitted.form
            if submitted.outcome == "conflict":  # the user's words, on the current version
                form = _form(action, initial={**form.cleaned_data, "version": referral.version})
        else:
            form = _form(action, initial={"version": referral.version})
        panels.append(StepPanel(action=action.value, label=ACTIONS[action],
                                needs_reason=transition.needs_reason,
                                needs_outcome=transition.needs_outcome, form=form))
    return panels
