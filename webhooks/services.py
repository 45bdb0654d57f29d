"""Webhooks: subscriptions (audited, secret shown once) and the events that become deliveries.

A configuration write calls `webhook_event_enqueue` inside its transaction (configurations.events): each
matching webhook gets a WebhookDelivery and an outbox message in that same transaction, so a rolled-back
write sends nothing and the worker delivers only after the commit (webhooks.delivery).
"""

from __future__ import annotations

import base64
import secrets
import uuid
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from audit.services import record
from background import outbox
from configurations.crypto import encrypt_value
from configurations.models import Namespace
from core.selectors import first_or_not_found
from webhooks.models import Webhook, WebhookDelivery
from webhooks.ssrf import validate_url

OUTBOX_KIND = "webhook"


def webhook_list(*, namespace: Namespace) -> QuerySet[Webhook]:
    return Webhook.objects.filter(namespace=namespace)


def webhook_get(*, namespace: Namespace, webhook_id: uuid.UUID) -> Webhook:
    webhook = first_or_not_found(Webhook.objects.filter(namespace=namespace, pk=webhook_id), "No such webhook.")
    webhook.namespace = namespace
    return webhook


def delivery_list(*, webhook: Webhook) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.filter(webhook=webhook).order_by("-created_at", "-id")


def delivery_get(*, webhook: Webhook, delivery_id: uuid.UUID) -> WebhookDelivery:
    return first_or_not_found(WebhookDelivery.objects.filter(webhook=webhook, pk=delivery_id), "No such delivery.")


def _audit_view(webhook: Webhook) -> dict[str, Any]:
    return {
        "url": webhook.url,
        "events": webhook.events,
        "environments": webhook.environments,
        "active": webhook.active,
    }


@transaction.atomic
def webhook_create(
    *,
    namespace: Namespace,
    url: str,
    events: list[str],
    environments: list[str] | None = None,
    active: bool = True,
    actor: Any,
    request: Any = None,
) -> tuple[Webhook, str]:
    """A new webhook and its signing secret (`whsec_` + base64 of 32 random bytes), returned this once."""
    validate_url(url)
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    webhook = Webhook.objects.create(
        namespace=namespace,
        url=url,
        events=sorted(set(events)),
        environments=sorted(set(environments or [])),
        active=active,
        secret_encrypted=encrypt_value(secret),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    record(
        "webhook.created",
        actor=actor,
        target=webhook,
        changes=_audit_view(webhook),
        metadata={"namespace": namespace.slug},
        request=request,
    )
    return webhook, secret


@transaction.atomic
def webhook_update(*, webhook: Webhook, fields: Mapping[str, Any], actor: Any, request: Any = None) -> Webhook:
    if "url" in fields:
        validate_url(fields["url"])
    before = _audit_view(webhook)
    for name, value in fields.items():
        setattr(webhook, name, sorted(set(value)) if name in ("events", "environments") else value)
    webhook.save()
    after = _audit_view(webhook)
    changes = {name: {"from": before[name], "to": after[name]} for name in after if before[name] != after[name]}
    record(
        "webhook.updated",
        actor=actor,
        target=webhook,
        changes=changes,
        metadata={"namespace": webhook.namespace.slug},
        request=request,
    )
    return webhook


@transaction.atomic
def webhook_delete(*, webhook: Webhook, actor: Any, request: Any = None) -> None:
    record(
        "webhook.deleted",
        actor=actor,
        target=webhook,
        changes={"url": webhook.url},
        metadata={"namespace": webhook.namespace.slug},
        request=request,
    )
    webhook.delete()


def webhook_event_enqueue(*, namespace_id: int, environment: str, event: str, data: dict[str, Any]) -> int:
    """In the caller's transaction: one delivery (and outbox message) per active webhook that wants it."""
    created = 0
    occurred = timezone.now().isoformat()
    for webhook in Webhook.objects.filter(namespace_id=namespace_id, active=True):
        if event not in webhook.events or (webhook.environments and environment not in webhook.environments):
            continue
        delivery = WebhookDelivery.objects.create(
            webhook=webhook,
            event=event,
            message_id=f"msg_{uuid.uuid4().hex}",
            payload={"type": event, "timestamp": occurred, "data": data},
            next_attempt_at=timezone.now(),
        )
        message = outbox.enqueue(OUTBOX_KIND, {"delivery": str(delivery.pk)})
        WebhookDelivery.objects.filter(pk=delivery.pk).update(outbox_message_id=message.pk)
        created += 1
    return created


@transaction.atomic
def delivery_redeliver(*, delivery: WebhookDelivery, actor: Any, request: Any = None) -> WebhookDelivery:
    """Queue the delivery again, with the same webhook-id (a receiver deduplicates on it)."""
    requeued = delivery.outbox_message_id is not None and outbox.requeue(delivery.outbox_message_id)
    if not requeued:
        message = outbox.enqueue(OUTBOX_KIND, {"delivery": str(delivery.pk)})
        delivery.outbox_message_id = message.pk
    delivery.status = WebhookDelivery.Status.PENDING
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "next_attempt_at", "outbox_message_id"])
    record(
        "webhook.redelivered",
        actor=actor,
        target=delivery,
        metadata={"webhook": str(delivery.webhook_id), "event": delivery.event},
        request=request,
    )
    return delivery
