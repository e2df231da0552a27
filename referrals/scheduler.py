"""The referral scheduler (`msc scheduler`): expires unanswered referrals and delivers webhooks.

It keeps no state of its own: what is due is read from PostgreSQL on every tick (`due_at` of sent
referrals, `next_attempt_at` of pending deliveries), so a scheduler that was down catches up on
its first tick and no referral stays unexpired because a process was stopped. Rows are locked with
SKIP LOCKED, so running two schedulers is safe.
"""

from __future__ import annotations

import logging
import signal
import threading
from datetime import datetime
from types import FrameType

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from referrals import webhooks
from referrals.models import Referral
from referrals.services import referral_expire
from referrals.workflow import State
from services.tenancy.context import tenant_transaction
from services.tenancy.models import TENANT_CODES

log = logging.getLogger(__name__)
BATCH = 100


def expire_overdue(now: datetime | None = None) -> int:
    """Expire every sent referral whose answer deadline has passed; how many were expired."""
    expired = 0
    for tenant_id in sorted(TENANT_CODES):
        while True:
            with tenant_transaction(tenant_id):
                moment = now or timezone.now()
                overdue = list(
                    Referral.objects.select_for_update(skip_locked=True, of=("self",))
                    .filter(tenant_id=tenant_id, state=State.SENT, due_at__lte=moment)
                    .select_related("client", "need", "service", "organization")
                    .order_by("due_at", "id")[:BATCH])
                for referral in overdue:
                    referral_expire(referral, moment)
            expired += len(overdue)
            if len(overdue) < BATCH:
                break
    return expired


def tick() -> tuple[int, int]:
    """One round: (referrals expired, webhook deliveries attempted)."""
    return expire_overdue(), webhooks.deliver_due()


def run(interval: float | None = None, stop: threading.Event | None = None) -> None:
    """Tick every `interval` seconds until SIGTERM/SIGINT (or `stop` is set)."""
    stop = stop or threading.Event()
    period = settings.SCHEDULER_INTERVAL_SECONDS if interval is None else interval

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
    log.info("scheduler: ticking every %.1f s", period)
    while not stop.is_set():
        close_old_connections()
        try:
            expired, attempted = tick()
        except Exception:  # a database restart must not end the scheduler: retry next tick
            log.exception("scheduler: tick failed; retrying in %.1f s", period)
        else:
            if expired or attempted:
                log.info("scheduler: expired %d referrals, %d webhook attempts", expired,
                         attempted)
        stop.wait(period)
