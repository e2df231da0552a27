"""Expiry from the scheduler process, across a restart, and signed webhooks with retries.

These commit (the scheduler is another process), so they run as transactional tests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from referrals import webhooks
from referrals.models import Notification, Referral, ReferralTransition, WebhookDelivery
from referrals.scheduler import expire_overdue
from services.tenancy.context import tenant_transaction
from tests.conftest import require_component
from tests.integration.keycloak_helpers import as_user
from tests.kafka_helpers import REPO, stop_process
from tests.referral_world import World, make_world, refer
from tests.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world() -> World:
    require_component("postgres")
    require_component("keycloak")
    return make_world("AL")


def _overdue(referral_id: str, seconds_ago: float = 1.0) -> None:
    with tenant_transaction("AL"):
        Referral.objects.filter(id=referral_id).update(
            due_at=timezone.now() - timedelta(seconds=seconds_ago))


def _state(referral_id: str) -> str:
    with tenant_transaction("AL"):
        return Referral.objects.get(id=referral_id).state


def test_expiry_is_on_time_and_offers_the_next_suggestion(world: World) -> None:
    due = refer(world, "near")["id"]
    not_yet = refer(world, "near")["id"]
    _overdue(due)
    assert expire_overdue() == 1
    assert (_state(due), _state(not_yet)) == ("expired", "sent")
    with tenant_transaction("AL"):
        referral = Referral.objects.get(id=due)
        step = ReferralTransition.objects.get(referral_id=due, action="expire")
        assert referral.due_at is not None
        assert step.at >= referral.due_at and step.actor_kind == "system"
        note = Notification.objects.get(referral_id=due, kind="referral.expired")
    assert note.data["next_suggestion"]["service_id"] == world.services["far"]
    assert "English B1, Durrës" in note.message
    assert expire_overdue() == 0  # nothing twice
    assert _act_status("partner.al", due, "accept") == 409


def _act_status(username: str, referral_id: str, action: str) -> int:
    response = as_user(username).post(f"/api/v1/referrals/{referral_id}/{action}", {},
                                      format="json")
    return int(response.status_code)


def _scheduler(log_path: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "services.settings.test",
           "MSC_SCHEDULER_INTERVAL_SECONDS": "0.3"}
    with log_path.open("ab") as log:
        return subprocess.Popen([sys.executable, "-m", "services.cli", "scheduler"], cwd=REPO,
                                env=env, stdout=log, stderr=subprocess.STDOUT)


def test_a_referral_due_while_the_scheduler_was_down_expires_when_it_returns(
        world: World, tmp_path: Path) -> None:
    scheduler = _scheduler(tmp_path / "scheduler.log")
    try:
        first = refer(world)["id"]
        _overdue(first)
        wait_until(lambda: _state(first) == "expired", seconds=60,
                   failure=lambda: f"the running scheduler left {first} {_state(first)}")
        scheduler.send_signal(signal.SIGKILL)
        scheduler.wait()
        second = refer(world)["id"]
        _overdue(second, seconds_ago=120)  # fell due while no scheduler ran
        assert _state(second) == "sent"
        scheduler = _scheduler(tmp_path / "scheduler.log")
        wait_until(lambda: _state(second) == "expired", seconds=60,
                   failure=lambda: f"the restarted scheduler left {second} {_state(second)}")
    finally:
        stop_process(scheduler, grace_seconds=20)
    with tenant_transaction("AL"):
        assert ReferralTransition.objects.filter(action="expire").count() == 2


class _Receiver(BaseHTTPRequestHandler):
    """An institution's endpoint: fails the first attempt of each event, then accepts."""

    received: list[dict[str, Any]] = []
    seen: set[str] = set()

    def do_POST(self) -> None:  # noqa: N802 - the http.server interface
        body = self.rfile.read(int(self.headers["Content-Length"]))
        event_id = self.headers["MSC-Event-Id"]
        first_time = event_id not in self.seen
        self.seen.add(event_id)
        self.received.append({"body": body, "signature": self.headers["MSC-Signature"],
                              "event_id": event_id, "failed": first_time})
        self.send_response(503 if first_time else 204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    _Receiver.received, _Receiver.seen = [], set()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/msc-hook"
    finally:
        server.shutdown()


def test_signed_webhooks_are_retried_until_delivered(world: World, receiver: str) -> None:
    made = as_user("partner.al").post("/api/v1/webhooks", {"url": receiver}, format="json")
    assert made.status_code == 201, made.content
    secret, hook_id = made.json()["secret"], made.json()["id"]
    assert as_user("partner.al").post("/api/v1/webhooks", {"url": "ftp://x"},
                                      format="json").status_code == 400
    rid = refer(world, "near")["id"]
    refer(world, "far")  # another institution's referral: not sent to this hook
    assert as_user("partner.al").post(f"/api/v1/referrals/{rid}/accept", {},
                                      format="json").status_code == 200
    assert webhooks.deliver_due() == 2  # sent, accepted: both fail the first time
    with tenant_transaction("AL"):
        WebhookDelivery.objects.update(next_attempt_at=timezone.now())  # skip the backoff wait
    assert webhooks.deliver_due() == 2
    assert webhooks.deliver_due() == 0
    assert [r["failed"] for r in _Receiver.received] == [True, True, False, False]
    now = int(timezone.now().timestamp())
    for request in _Receiver.received:
        assert webhooks.verify(secret, request["signature"], request["body"], now)
        assert not webhooks.verify("whsec_wrong", request["signature"], request["body"], now)
        envelope = json.loads(request["body"])
        assert envelope["subject"] == rid and "Arta" not in request["body"].decode()
    log = as_user("partner.al").get(f"/api/v1/webhooks/{hook_id}/deliveries").json()["results"]
    assert sorted((d["status"], d["attempts"], d["last_status_code"]) for d in log) == [
        ("delivered", 2, 204), ("delivered", 2, 204)]
    assert as_user("partner2.al").get(f"/api/v1/webhooks/{hook_id}/deliveries").status_code == 404


def test_retry_backoff_grows_and_gives_up() -> None:
    delays = [webhooks.retry_delay(n).total_seconds() for n in range(1, webhooks.MAX_ATTEMPTS)]
    assert delays[:3] == [10.0, 20.0, 40.0] and delays == sorted(delays)
    assert webhooks.retry_delay(30).total_seconds() == webhooks.LONGEST_RETRY_SECONDS
