"""Signed webhooks: institutions that want them receive their referrals' events over HTTP.

Each event is queued, in the transaction that made it, as one delivery per active webhook of the
referral's institution; the scheduler POSTs due deliveries and retries failures with exponential
backoff, keeping every attempt's status in the delivery log.

Signature (like Stripe's and Standard Webhooks'): header `MSC-Signature: t=<unix time>,v1=<hex>`
where hex = HMAC-SHA256(secret, "<t>.<body>"). A receiver recomputes it, compares in constant
time and rejects timestamps older than a few minutes, so a captured request cannot be replayed.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import socket
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone

from referrals.models import Referral, Webhook, WebhookDelivery
from services.outbox.models import OutboxEvent
from services.tenancy.context import tenant_transaction
from services.tenancy.models import TENANT_CODES

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "MSC-Signature"
MAX_ATTEMPTS = 8
FIRST_RETRY_SECONDS = 10.0
LONGEST_RETRY_SECONDS = 3600.0
TIMEOUT_SECONDS = 5.0
BATCH = 50


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify(secret: str, header: str, body: bytes, now: int, tolerance_seconds: int = 300) -> bool:
    """What a receiver does: the signature matches and the timestamp is recent."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    if not parts.get("t", "").isdigit() or "v1" not in parts:
        return False
    timestamp = int(parts["t"])
    if abs(now - timestamp) > tolerance_seconds:
        return False
    expected = signature(secret, timestamp, body)
    return hmac.compare_digest(expected, f"t={timestamp},v1={parts['v1']}")


class UnsafeWebhookUrl(ValueError):
    pass


def check_url(url: str) -> str:
    """An http(s) URL that does not point into the platform's own network.

    Private, loopback and link-local addresses are refused unless the deployment allows them
    (`MSC_WEBHOOK_ALLOW_PRIVATE`, on for development and tests), so a webhook cannot be used to
    reach internal services.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UnsafeWebhookUrl("must be an http or https URL with a host")
    if getattr(settings, "WEBHOOK_ALLOW_PRIVATE", False):
        return url
    if parts.scheme != "https":
        raise UnsafeWebhookUrl("must use https")
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, None)}
    except OSError as exc:
        raise UnsafeWebhookUrl(f"host {parts.hostname} does not resolve") from exc
    for address in addresses:
        ip = ipaddress.ip_address(str(address).split("%")[0])
        if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved:
            raise UnsafeWebhookUrl(f"host {parts.hostname} is an internal address")
    return url


def enqueue(referral: Referral, event: OutboxEvent, *, now: datetime) -> None:
    """Queue `event` for every active webhook of the referral's institution."""
    hooks = list(Webhook.objects.filter(organization_id=referral.organization_id, active=True)
                 .values_list("id", flat=True))
    if not hooks:
        return
    body = json.dumps(event.envelope, sort_keys=True, separators=(",", ":"))
    WebhookDelivery.objects.bulk_create([
        WebhookDelivery(tenant_id=referral.tenant_id, webhook_id=hook, event_id=event.id,
                        event_type=event.event_type, body=body, next_attempt_at=now)
        for hook in hooks
    ], ignore_conflicts=True)


def retry_delay(attempts: int) -> timedelta:
    """Backoff after `attempts` failed attempts: 10 s, 20 s, 40 s... at most an hour."""
    seconds = min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), LONGEST_RETRY_SECONDS)
    return timedelta(seconds=seconds)


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, method="POST",  # noqa: S310 - checked URL
                                     headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def deliver(delivery: WebhookDelivery, now: datetime) -> None:
    """One attempt; the delivery row records its result and when to try again."""
    hook = delivery.webhook
    body = delivery.body.encode()
    headers = {SIGNATURE_HEADER: signature(hook.secret, int(now.timestamp()), body),
               "MSC-Event-Id": str(delivery.event_id), "MSC-Event-Type": delivery.event_type}
    delivery.attempts += 1
    try:
        code: int | None = _post(hook.url, body, headers)
        error = "" if code is not None and 200 <= code < 300 else f"HTTP {code}"
    except (OSError, ValueError) as exc:
        code, error = None, f"{type(exc).__name__}: {exc}"[:500]
    delivery.last_status_code = code
    delivery.last_error = error
    if not error:
        delivery.status = WebhookDelivery.Status.DELIVERED
        delivery.delivered_at = now
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = WebhookDelivery.Status.FAILED
    else:
        delivery.next_attempt_at = now + retry_delay(delivery.attempts)
    delivery.save(update_fields=["attempts", "last_status_code", "last_error", "status",
                                 "delivered_at", "next_attempt_at"])


def deliver_due(now: datetime | None = None) -> int:
    """Attempt every delivery that is due, tenant by tenant; how many attempts were made.

    Rows are locked with SKIP LOCKED, so two schedulers never post the same delivery at once.
    """
    attempted = 0
    for tenant_id in sorted(TENANT_CODES):
        with tenant_transaction(tenant_id):
            moment = now or timezone.now()
            due = list(WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
                       .filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=moment)
                       .select_related("webhook").order_by("next_attempt_at", "id")[:BATCH])
            for delivery in due:
                deliver(delivery, moment)
                attempted += 1
    return attempted
