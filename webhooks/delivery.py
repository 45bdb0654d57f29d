"""The worker's side of webhooks: sign (Standard Webhooks) and POST one delivery, record the outcome.

`deliver(message)` is the outbox sender of kind "webhook" (registered in webhooks.tasks): it returns on a
2xx and raises otherwise, so the outbox retries it on its policy (first retry within 30 s, exponential
backoff, for at least 24 h, then `failed`); `record_result(message)` mirrors the outbox row's state onto
the delivery log after every try. The `webhook-id` is the delivery's, the same on every retry; the
timestamp and signature are those of each try.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from django.conf import settings
from django.db.models import F
from standardwebhooks.webhooks import Webhook as Signer

from background.outbox import Cancel
from background.policy import RetryPolicy
from configurations.crypto import decrypt_value
from webhooks import ssrf
from webhooks.models import WebhookDelivery

TIMEOUT = 10  # seconds per try (API.md)


class DeliveryFailed(Exception):
    pass


def policy() -> RetryPolicy:
    # first_delay 20 s with equal jitter: the first retry comes 10 to 20 s after the failure.
    return RetryPolicy(first_delay=20.0, max_delay=3600.0, give_up_after=settings.WEBHOOK_RETRY_FOR, lease=TIMEOUT + 20)


def signed_request(delivery: WebhookDelivery, secret: str, now: datetime) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True)
    signature = Signer(secret).sign(delivery.message_id, now, body)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "config-webhooks/1",
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }
    return body.encode(), headers


def deliver(message) -> None:
    delivery = WebhookDelivery.objects.select_related("webhook").filter(pk=message.payload.get("delivery")).first()
    if delivery is None or not delivery.webhook.active:
        raise Cancel("the webhook is gone or inactive")
    body, headers = signed_request(delivery, decrypt_value(delivery.webhook.secret_encrypted), datetime.now(UTC))
    status_code, error = None, ""
    try:
        status_code = ssrf.post(delivery.webhook.url, body, headers, timeout=TIMEOUT)
        if not 200 <= status_code < 300:
            error = f"HTTP {status_code}"
    except ssrf.BlockedAddress as exc:
        error = str(exc)
    except OSError as exc:  # refused, reset, timed out, TLS
        error = f"{type(exc).__name__}: {exc}"[:500]
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        attempts=F("attempts") + 1, last_status_code=status_code, last_error=error
    )
    if error:
        raise DeliveryFailed(error)


def record_result(message) -> None:
    """Mirror the outbox row onto the delivery: sent -> delivered, failed/cancelled -> failed, else pending."""
    status = {"sent": WebhookDelivery.Status.DELIVERED, "failed": WebhookDelivery.Status.FAILED}.get(
        message.status,
        WebhookDelivery.Status.FAILED if message.status == "cancelled" else WebhookDelivery.Status.PENDING,
    )
    pending = status == WebhookDelivery.Status.PENDING
    WebhookDelivery.objects.filter(pk=message.payload.get("delivery")).update(
        status=status, next_attempt_at=message.next_attempt_at if pending else None
    )
