"""Output shapes of the audit API (there is no input: the trail is read-only)."""

from __future__ import annotations

from rest_framework import serializers

from audit.chain import HASHED_FIELDS
from audit.models import AuditEvent


class AuditEventOutputSerializer(serializers.ModelSerializer):
    changes = serializers.JSONField(
        read_only=True, allow_null=True, help_text="For model changes `{field: [old, new]}`; secret values masked."
    )
    metadata = serializers.DictField(read_only=True, help_text="Context of the action; secrets never appear.")

    class Meta:
        model = AuditEvent
        fields = [*HASHED_FIELDS, "hash"]  # every field the hash covers, so a reader can recompute the chain
        read_only_fields = fields
