"""Output shapes of the audit API (there is no input: the trail is read-only)."""

from __future__ import annotations

from rest_framework import serializers

from audit.models import AuditEvent


class AuditEventOutputSerializer(serializers.ModelSerializer):
    changes = serializers.JSONField(
        read_only=True, allow_null=True, help_text="For model changes `{field: [old, new]}`; secret values masked."
    )
    metadata = serializers.DictField(read_only=True, help_text="Context of the action; secrets never appear.")

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "seq",
            "timestamp",
            "actor",
            "actor_type",
            "action",
            "target_type",
            "target_id",
            "ip",
            "user_agent",
            "request_id",
            "changes",
            "metadata",
            "hash",
            "prev_hash",
        ]
        read_only_fields = fields
