"""Referrals of one tenant in a known mix of states, made the way the platform makes them (the
counsellor's and the institutions' API calls, the scheduler's expiry): what the tests of the
referral statistics, reconciliation, replay and stream worker start from. Needs the real
PostgreSQL and Keycloak."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from django.utils import timezone

from referrals.models import Referral
from referrals.services import referral_expire
from services.tenancy.context import tenant_transaction
from tests.integration.keycloak_helpers import as_user
from tests.referral_world import World, make_world, refer, register_client

TENANT = "AL"  # the partner users of the test realm belong to AL's institutions

# What the mix adds up to (see `make_referrals`), as the statistics define the figures.
EXPECTED = {"clients": 14, "sent": 14, "accepted": 8, "declined": 2, "completed": 5,
            "not_completed": 1, "cancelled": 1, "expired": 1, "waiting": 2}
INSTITUTIONS = {"Tirana Language School": 12, "Adriatic Language Centre": 2}
NEED = "skills:language-course"


@dataclass(frozen=True)
class Mix:
    world: World
    sent: tuple[str, ...]
    drafts: tuple[str, ...]
    sent_on: date  # the (UTC) day the first referral was sent


def act(username: str, referral_id: str, action: str, **body: Any) -> None:
    response = as_user(username).post(f"/api/v1/referrals/{referral_id}/{action}", body,
                                      format="json")
    assert response.status_code == 200, response.content


def make_referrals() -> Mix:
    """14 clients, each sent once: 12 to the near course (partner.al's institution), 2 to the
    far one (partner2.al's); a draft left unsent and a draft cancelled, which never count.

    Near: 5 completed, 1 accepted, 1 not completed, 2 declined, 1 cancelled by the counsellor
    before an answer, 2 waiting. Far: 1 accepted, 1 expired by the scheduler.
    """
    world = make_world(TENANT)
    clients = [world.client_id] + [
        register_client(TENANT, given_name=f"Client{n}", family_name=f"Family{n}",
                        email=f"client{n}@example.org", phone=f"+355 69 000 01{n:02d}")
        for n in range(13)]
    near = [refer(replace(world, client_id=client)) for client in clients[:12]]
    far = [refer(replace(world, client_id=client), "far") for client in clients[12:]]
    ids = [r["id"] for r in near]
    for rid in ids[:5]:
        act("partner.al", rid, "accept")
        act("partner.al", rid, "start")
        act("partner.al", rid, "complete", outcome="certificate")
    act("partner.al", ids[5], "accept")
    act("partner.al", ids[6], "accept")
    act("partner.al", ids[6], "hold")
    act("partner.al", ids[6], "not_complete", reason="moved away", outcome="dropped_out")
    for rid in ids[7:9]:
        act("partner.al", rid, "decline", reason="course full")
    act("counsellor.al", ids[9], "cancel", reason="found work")
    act("partner2.al", far[0]["id"], "accept")
    with tenant_transaction(TENANT):
        referral_expire(Referral.objects.get(id=far[1]["id"]), timezone.now())
    drafts = [refer(world, send=False)["id"] for _ in range(2)]
    act("counsellor.al", drafts[1], "cancel", reason="entered by mistake")
    return Mix(world=world, sent=tuple(ids + [r["id"] for r in far]), drafts=tuple(drafts),
               sent_on=date.fromisoformat(near[0]["sent_at"][:10]))


def postgres_figures() -> dict[str, Any]:
    """The referral figures straight from PostgreSQL, by the statistics' definitions."""
    with tenant_transaction(TENANT):
        referrals = list(Referral.objects.filter(sent_at__isnull=False))
    states = [r.state for r in referrals]
    return {
        "clients": len({r.client_id for r in referrals}), "sent": len(referrals),
        "accepted": sum(r.answered_at is not None and r.state != "declined" for r in referrals),
        **{state: states.count(state) for state in (
            "declined", "completed", "not_completed", "cancelled", "expired")},
        "waiting": states.count("sent"),
    }
