"""Background work of webhooks: deliveries go through the outbox (webhooks.delivery)."""

from background.outbox import register_sender
from webhooks import delivery
from webhooks.services import OUTBOX_KIND

register_sender(OUTBOX_KIND, delivery.deliver, policy=delivery.policy(), on_result=delivery.record_result)
