"""Data shapes of webhooks and their delivery log."""

from __future__ import annotations

from rest_framework import serializers

from configurations.models import SLUG_PATTERN
from core.serializers import StrictSerializer
from webhooks.models import EVENTS, Webhook, WebhookDelivery


class WebhookCreateInputSerializer(StrictSerializer):
    url = serializers.URLField(
        max_length=2000, help_text="http(s); loopback, private and link-local hosts are refused."
    )
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENTS), allow_empty=False, max_length=len(EVENTS)
    )
    environments = serializers.ListField(
        child=serializers.RegexField(regex=rf"^{SLUG_PATTERN}\Z", max_length=64),
        required=False,
        max_length=100,
        help_text="Environment slugs; none: every environment of the namespace.",
    )
    active = serializers.BooleanField(required=False, default=True)


class WebhookUpdateInputSerializer(WebhookCreateInputSerializer):
    url = serializers.URLField(max_length=2000, required=False)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENTS), allow_empty=False, max_length=len(EVENTS), required=False
    )
    active = serializers.BooleanField(required=False)


class WebhookOutputSerializer(serializers.ModelSerializer):
    namespace = serializers.CharField(source="namespace.slug", read_only=True)

    class Meta:
        model = Webhook
        fields = ["id", "namespace", "url", "events", "environments", "active", "created_at", "updated_at"]


class WebhookCreatedOutputSerializer(WebhookOutputSerializer):
    secret = serializers.CharField(read_only=True, help_text="`whsec_` + base64: shown in this response only.")

    class Meta(WebhookOutputSerializer.Meta):
        fields = [*WebhookOutputSerializer.Meta.fields, "secret"]


class WebhookDeliveryOutputSerializer(serializers.ModelSerializer):
    webhook_id = serializers.CharField(source="message_id", read_only=True, help_text="The webhook-id header.")

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event",
            "status",
            "attempts",
            "last_status_code",
            "last_error",
            "next_attempt_at",
            "created_at",
            "webhook_id",
        ]
