"""The referral state machine against the diagram, written out here independently of the code."""

from __future__ import annotations

from collections import deque

import pytest
from hypothesis import given
from hypothesis import strategies as st

from referrals.workflow import (
    ANSWERED,
    OUTCOMES,
    TERMINAL,
    TRANSITIONS,
    Action,
    Actor,
    IllegalTransition,
    MissingJustification,
    State,
    allowed_actions,
    apply,
    outcome_is_valid,
)

# (source, action, actor, target): the diagram, in plain strings so a mistake in the code's
# table cannot be copied into the expectation.
EDGES: set[tuple[str, str, str, str]] = {
    ("draft", "send", "sender", "sent"),
    ("sent", "accept", "partner", "accepted"),
    ("sent", "decline", "partner", "declined"),
    ("accepted", "start", "partner", "in_progress"),
    ("accepted", "hold", "partner", "on_hold"),
    ("in_progress", "hold", "partner", "on_hold"),
    ("on_hold", "start", "partner", "in_progress"),
    ("in_progress", "complete", "partner", "completed"),
    ("in_progress", "not_complete", "partner", "not_completed"),
    ("on_hold", "not_complete", "partner", "not_completed"),
    ("draft", "cancel", "sender", "cancelled"),
    ("sent", "cancel", "sender", "cancelled"),
    ("accepted", "cancel", "sender", "cancelled"),
    ("on_hold", "cancel", "sender", "cancelled"),
    ("in_progress", "cancel", "sender", "cancelled"),
    ("sent", "expire", "system", "expired"),
}
EXPECTED_TERMINAL = {"declined", "completed", "not_completed", "cancelled", "expired"}

steps = st.lists(st.tuples(st.sampled_from(Action), st.sampled_from(Actor)), max_size=40)
any_state, any_action, any_actor = (
    st.sampled_from(State), st.sampled_from(Action), st.sampled_from(Actor))
blank = st.text(alphabet=" \t\n", max_size=3)


def justified(state: State, action: Action, actor: Actor) -> State:
    """apply() with a reason and an outcome, so only the diagram can refuse."""
    return apply(state, action, actor, reason="moved abroad", outcome="certificate")


def expected_allowed(state: str, actor: str) -> list[str]:
    """What the diagram lets this actor do from this state, in the order actions are declared."""
    mine = {action for source, action, who, _ in EDGES if source == state and who == actor}
    return [action for action in Action if action in mine]


@given(steps)
def test_a_random_walk_from_draft_only_follows_the_diagram(
        walk: list[tuple[Action, Actor]]) -> None:
    state = State.DRAFT
    for action, actor in walk:
        try:
            target = justified(state, action, actor)
        except IllegalTransition:
            assert not any(e[:3] == (state, action, actor) for e in EDGES)
            continue
        assert (state, action, actor, target) in EDGES
        state = target


def test_the_machine_has_exactly_the_diagrams_edges() -> None:
    edges = set()
    for state in State:
        for action in Action:
            for actor in Actor:
                try:
                    target = justified(state, action, actor)
                except IllegalTransition:
                    continue
                edges.add((str(state), str(action), str(actor), str(target)))
    assert edges == EDGES


def test_every_terminal_state_is_reachable_and_every_other_state_can_end() -> None:
    def successors(state: State) -> set[State]:
        return {justified(state, action, TRANSITIONS[action].actor)
                for action in allowed_actions(state)}

    reached, queue = {State.DRAFT}, deque([State.DRAFT])
    while queue:
        for following in successors(queue.popleft()) - reached:
            reached.add(following)
            queue.append(following)
    assert reached == set(State)
    assert reached >= TERMINAL

    for start in set(State) - TERMINAL:
        seen, frontier = {start}, [start]
        while frontier and not seen & TERMINAL:
            frontier = [s for state in frontier for s in successors(state) - seen]
            seen.update(frontier)
        assert seen & TERMINAL, f"{start} cannot reach an end"


def test_terminal_states_are_the_expected_ones_and_allow_nothing() -> None:
    assert TERMINAL == EXPECTED_TERMINAL
    for state in TERMINAL:
        assert allowed_actions(state) == []
        for action in Action:
            with pytest.raises(IllegalTransition):
                justified(state, action, TRANSITIONS[action].actor)


@given(any_state, any_action, any_actor)
def test_a_refusal_lists_exactly_what_this_actor_may_do(
        state: State, action: Action, actor: Actor) -> None:
    try:
        justified(state, action, actor)
    except IllegalTransition as refused:
        assert (refused.state, refused.action) == (state, action)
        assert refused.allowed == expected_allowed(state, actor)
        assert refused.allowed == allowed_actions(state, actor)
        assert f"cannot {action} a referral that is {state}" in str(refused)
    else:
        assert action in expected_allowed(state, actor)


def test_the_refusal_message_is_readable() -> None:
    with pytest.raises(IllegalTransition) as refused:
        apply(State.ACCEPTED, Action.DECLINE, Actor.PARTNER, reason="full")
    assert str(refused.value) == (
        "partner cannot decline a referral that is accepted; allowed: start, hold")

    with pytest.raises(IllegalTransition) as refused:
        apply(State.SENT, Action.CANCEL, Actor.PARTNER, reason="full")
    assert str(refused.value) == ("partner cannot cancel a referral that is sent "
                                  "(only the sender may cancel); allowed: accept, decline")

    with pytest.raises(IllegalTransition) as refused:
        apply(State.EXPIRED, Action.SEND, Actor.SENDER)
    assert str(refused.value).endswith("; allowed: nothing")


def test_allowed_actions_for_anyone_are_in_declaration_order() -> None:
    assert allowed_actions(State.SENT) == [Action.ACCEPT, Action.DECLINE, Action.CANCEL,
                                           Action.EXPIRE]
    assert allowed_actions(State.ACCEPTED) == [Action.START, Action.HOLD, Action.CANCEL]
    assert allowed_actions(State.SENT, Actor.SYSTEM) == [Action.EXPIRE]


@pytest.mark.parametrize(("state", "action", "field", "given_text"), [
    (State.SENT, Action.DECLINE, "reason", {}),
    (State.DRAFT, Action.CANCEL, "reason", {}),
    (State.IN_PROGRESS, Action.COMPLETE, "outcome", {}),
    (State.IN_PROGRESS, Action.NOT_COMPLETE, "outcome", {"reason": "moved"}),
    (State.ON_HOLD, Action.NOT_COMPLETE, "reason", {"outcome": "dropped_out"}),
])
def test_a_missing_justification_is_named(
        state: State, action: Action, field: str, given_text: dict[str, str]) -> None:
    with pytest.raises(MissingJustification) as missing:
        apply(state, action, TRANSITIONS[action].actor, **given_text)
    assert missing.value.field == field


@given(any_action, blank, blank)
def test_blank_text_is_no_justification(action: Action, reason: str, outcome: str) -> None:
    transition = TRANSITIONS[action]
    [source, *_] = sorted(transition.sources)
    if not (transition.needs_reason or transition.needs_outcome):
        assert apply(source, action, transition.actor, reason=reason, outcome=outcome) \
            == transition.target
        return
    with pytest.raises(MissingJustification):
        apply(source, action, transition.actor, reason=reason, outcome=outcome)


def test_answered_states_are_those_reached_only_through_an_answer() -> None:
    without_answer, queue = {State.DRAFT}, [State.DRAFT]
    while queue:
        state = queue.pop()
        for action in allowed_actions(state):
            if action in (Action.ACCEPT, Action.DECLINE):
                continue
            target = justified(state, action, TRANSITIONS[action].actor)
            if target not in without_answer:
                without_answer.add(target)
                queue.append(target)
    assert set(State) - without_answer == ANSWERED
    assert {"accepted", "declined", "in_progress", "on_hold", "completed",
            "not_completed"} == ANSWERED


def test_outcomes_are_free_text_but_codes_can_be_checked() -> None:
    assert apply(State.IN_PROGRESS, Action.COMPLETE, Actor.PARTNER,
                 outcome="got a forklift licence") == State.COMPLETED
    assert all(outcome_is_valid(code) for code in OUTCOMES)
    assert not outcome_is_valid("got a forklift licence")
    assert not outcome_is_valid("")
