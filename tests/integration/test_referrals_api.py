"""Referrals through the API on the real PostgreSQL and Keycloak: routing on a seeded directory,
the workflow between counsellor and institution, what a partner may see, events and notices."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake.models import AuditEntry
from referrals.events import REFERRAL_EVENT_TYPES
from referrals.models import Notification, Referral, ReferralTransition
from referrals.workflow import Action, Actor, IllegalTransition, State, apply
from services.outbox.models import OutboxEvent
from services.tenancy.context import tenant_transaction
from tests.conftest import require_component
from tests.integration.keycloak_helpers import as_user
from tests.referral_world import LANGUAGE_COURSE, World, make_world, refer

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture
def world() -> World:
    require_component("postgres")
    require_component("keycloak")
    return make_world("AL")


def _act(username: str, referral_id: str, action: str, **body: Any) -> Any:
    return as_user(username).post(f"/api/v1/referrals/{referral_id}/{action}", body,
                                  format="json")


def test_routing_picks_the_eligible_nearer_freer_service_and_says_why(world: World) -> None:
    response = as_user("counsellor.al").post("/api/v1/routing/suggestions", {
        "client_id": world.client_id, "need_id": LANGUAGE_COURSE}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    ranked = [s["service_id"] for s in body["suggestions"]]
    assert ranked == [world.services["near"], world.services["far"]]
    top = body["suggestions"][0]
    assert all(rule["passed"] for rule in top["rules"])
    components = {c["name"]: c for c in top["components"]}
    assert set(components) == {"distance", "capacity", "waiting", "record"}
    runner_up = {c["name"]: c for c in body["suggestions"][1]["components"]}
    assert components["distance"]["value"] == 1.0 > runner_up["distance"]["value"]
    assert components["capacity"]["value"] > runner_up["capacity"]["value"]
    assert abs(sum(c["contribution"] for c in top["components"]) - top["score"]) < 1e-3
    excluded = {e["service_id"]: e["failed"] for e in body["excluded"]}
    assert excluded == {world.services["youth"]: ["eligibility.target_group", "eligibility.age"],
                        world.services["full"]: ["capacity"]}


def test_tenant_weights_change_the_order(world: World) -> None:
    admin = as_user("admin.al")
    current = admin.get("/api/v1/routing/settings")
    assert current.status_code == 200
    body = {**current.json(), "weight_distance": 0.0, "weight_capacity": 0.0,
            "weight_waiting": 0.0, "weight_record": 1.0}
    assert admin.put("/api/v1/routing/settings", body, format="json").status_code == 428
    changed = admin.put("/api/v1/routing/settings", body, format="json",
                        HTTP_IF_MATCH=current["ETag"])
    assert changed.status_code == 200, changed.content
    bad = admin.put("/api/v1/routing/settings", {**body, "weight_record": 0.0}, format="json",
                    HTTP_IF_MATCH=changed["ETag"])
    assert bad.status_code == 400 and "weights" in bad.json()["error"]["fields"]
    # A record of answering quickly and completing makes the farther institution preferred.
    for _ in range(6):
        done = refer(world, "far")
        for action in ("accept", "start"):
            assert _act("partner2.al", done["id"], action).status_code == 200
        assert _act("partner2.al", done["id"], "complete", outcome="certificate").status_code == 200
    suggestions = as_user("counsellor.al").post("/api/v1/routing/suggestions", {
        "client_id": world.client_id, "need_id": LANGUAGE_COURSE}, format="json").json()
    assert suggestions["suggestions"][0]["service_id"] == world.services["far"]


def test_closed_loop_from_counsellor_to_institution_and_back(world: World) -> None:
    referral = refer(world)
    assert (referral["state"], referral["suggestion_rank"]) == ("sent", 1)
    assert referral["due_at"] > referral["sent_at"]
    rid = referral["id"]
    assert _act("partner.al", rid, "decline").status_code == 400  # a decline needs a reason
    accepted = _act("partner.al", rid, "accept")
    assert accepted.status_code == 200 and accepted.json()["allowed_actions"] == [
        "start", "hold"]
    illegal = _act("partner.al", rid, "complete", outcome="certificate")
    assert illegal.status_code == 409
    assert illegal.json()["error"]["allowed"] == ["start", "hold"]
    for action in ("hold", "start"):
        assert _act("partner.al", rid, action).status_code == 200
    bad_outcome = _act("partner.al", rid, "complete", outcome="great")
    assert bad_outcome.status_code == 400
    done = _act("partner.al", rid, "complete", outcome="certificate")
    assert done.status_code == 200 and done.json()["state"] == "completed"
    seen = as_user("counsellor.al").get(f"/api/v1/referrals/{rid}").json()
    assert [(t["action"], t["to_state"], t["actor_kind"]) for t in seen["transitions"]] == [
        ("send", "sent", "sender"), ("accept", "accepted", "partner"),
        ("hold", "on_hold", "partner"), ("start", "in_progress", "partner"),
        ("complete", "completed", "partner")]
    notes = as_user("counsellor.al").get("/api/v1/notifications").json()["results"]
    assert [n["kind"] for n in notes][:2] == ["referral.complete", "referral.start"]
    with tenant_transaction("AL"):
        events = list(OutboxEvent.objects.filter(envelope__subject=rid).order_by("sequence"))
    assert [e.event_type for e in events] == [REFERRAL_EVENT_TYPES[a] for a in (
        Action.SEND, Action.ACCEPT, Action.HOLD, Action.START, Action.COMPLETE)]
    text = str([e.envelope for e in events])
    assert "Arta" not in text and "Hoxha" not in text and world.client_id not in text
    assert "evening" not in text  # the note for the partner stays in PostgreSQL


def test_sender_cancels_and_partner_cannot(world: World) -> None:
    rid = refer(world)["id"]
    refused = _act("partner.al", rid, "cancel", reason="no")
    assert refused.status_code == 409 and refused.json()["error"]["allowed"] == [
        "accept", "decline"]
    assert _act("counsellor.al", rid, "cancel").status_code == 400
    assert _act("counsellor.al", rid, "cancel", reason="client moved").status_code == 200
    assert _act("counsellor.al", rid, "accept").status_code == 409
    assert _act("counsellor.al", rid, "teleport").status_code == 404


def test_partner_sees_only_its_institutions_referrals_and_minimum_data(world: World) -> None:
    mine = refer(world, "near")["id"]
    theirs = refer(world, "far")["id"]
    draft = refer(world, "near", send=False)["id"]
    inbox = as_user("partner.al").get("/api/v1/referrals")
    assert inbox.status_code == 200
    assert [r["id"] for r in inbox.json()["results"]] == [mine]  # no draft, no other institution
    item = inbox.json()["results"][0]
    assert set(item) == {"id", "version", "state", "client", "service_id", "service_name", "need",
                         "need_name", "languages", "note_for_partner", "sent_at", "due_at",
                         "answered_at", "closed_at", "outcome", "allowed_actions"}
    assert item["client"] == {"given_name": "Arta", "family_name": "Hoxha",
                              "phone": "+355 69 000 0001", "email": "arta@example.org"}
    assert as_user("partner.al").get(f"/api/v1/referrals/{mine}").json()["client"] == item["client"]
    for other in (theirs, draft):
        assert as_user("partner.al").get(f"/api/v1/referrals/{other}").status_code == 404
        assert _act("partner.al", other, "accept").status_code == 404
    assert _act("partner2.al", mine, "accept").status_code == 404
    assert [r["id"] for r in as_user("partner2.al").get("/api/v1/referrals").json()["results"]
            ] == [theirs]
    for path in ("/api/v1/clients", f"/api/v1/clients/{world.client_id}", "/api/v1/visits",
                 "/api/v1/routing/suggestions"):
        assert as_user("partner.al").get(path).status_code in (403, 405), path
    for outsider in ("counsellor.rs", "partner.rs", "admin.rs"):
        assert as_user(outsider).get(f"/api/v1/referrals/{mine}").status_code == 404
        assert mine not in as_user(outsider).get("/api/v1/referrals").content.decode()
        assert _act(outsider, mine, "cancel", reason="x").status_code == 404
    with tenant_transaction("AL"):
        reads = AuditEntry.objects.filter(actor_username="partner.al")
        assert {a.action for a in reads} >= {"referral_list", "referral_read"}


def test_referral_to_a_foreign_client_or_service_is_refused(world: World) -> None:
    rs_world = make_world("RS")
    body = {"client_id": rs_world.client_id, "service_id": world.services["near"],
            "need_id": LANGUAGE_COURSE}
    response = as_user("counsellor.al").post("/api/v1/referrals", body, format="json")
    assert response.status_code == 400 and "client_id" in response.json()["error"]["fields"]
    body = {"client_id": world.client_id, "service_id": rs_world.services["near"],
            "need_id": LANGUAGE_COURSE}
    response = as_user("counsellor.al").post("/api/v1/referrals", body, format="json")
    assert response.status_code == 400 and "service_id" in response.json()["error"]["fields"]
    with tenant_transaction("AL"):
        assert Referral.objects.count() == 0
        assert ReferralTransition.objects.count() == 0
        assert Notification.objects.count() == 0


ACTORS = {"sender": "counsellor.al", "partner": "partner.al"}
STEP_BODY = {"decline": {"reason": "full"}, "cancel": {"reason": "moved"},
             "complete": {"outcome": "certificate"},
             "not_complete": {"outcome": "dropped_out", "reason": "moved abroad"}}


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.sampled_from(sorted(ACTORS)),
                                st.sampled_from([a.value for a in Action if a != Action.EXPIRE])),
                      min_size=1, max_size=6))
def test_the_api_follows_the_state_machine(world: World, steps: list[tuple[str, str]]) -> None:
    """Random sequences of calls through the real API: each answer is what the diagram says,
    a refused step changes nothing, and the state never leaves the diagram."""
    referral = refer(world, send=False)
    state = State.DRAFT
    for actor, action in steps:
        response = _act(ACTORS[actor], referral["id"], action, **STEP_BODY.get(action, {}))
        try:
            expected = apply(state, Action(action), Actor(actor),
                             **STEP_BODY.get(action, {}))
        except IllegalTransition:
            # A partner never sees drafts: for it a draft is not there at all.
            hidden = actor == "partner" and state == State.DRAFT
            assert response.status_code == (404 if hidden else 409), (state, actor, action)
            continue
        assert response.status_code == 200, (state, actor, action, response.content)
        state = expected
        assert response.json()["state"] == state.value
    seen = as_user("counsellor.al").get(f"/api/v1/referrals/{referral['id']}").json()
    assert seen["state"] == state.value
    assert len(seen["transitions"]) == seen["version"] - 1
