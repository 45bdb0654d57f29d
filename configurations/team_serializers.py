"""Data shapes of members, change requests, diffs and watch (API.md *team access, reviewed changes*)."""

from __future__ import annotations

from rest_framework import serializers

from configurations.change_requests import required_approvals
from configurations.models import KEY_PATTERN, ChangeRequest, NamespaceMember, NamespaceRole, ValueType
from configurations.values import MASK
from core.serializers import StrictSerializer


class MemberCreateInputSerializer(StrictSerializer):
    user = serializers.UUIDField(help_text="The user's id.")
    role = serializers.ChoiceField(choices=NamespaceRole.choices)


class MemberUpdateInputSerializer(StrictSerializer):
    role = serializers.ChoiceField(choices=NamespaceRole.choices)


class MemberOutputSerializer(serializers.ModelSerializer):
    user = serializers.UUIDField(source="user_id", read_only=True)
    namespace = serializers.CharField(source="namespace.slug", read_only=True)

    class Meta:
        model = NamespaceMember
        fields = ["user", "namespace", "role", "created_at", "updated_at"]


class ChangeInputSerializer(StrictSerializer):
    # A `set` needs a value (change_requests._stored_changes); a `delete` takes none it would use. Patterns,
    # not enums: drf-spectacular would make components of enums (and name both alike).
    request_schema_constraints = {
        "oneOf": [
            {"properties": {"op": {"pattern": "^set$"}}, "required": ["value"]},
            {"properties": {"op": {"pattern": "^delete$"}}},
        ]
    }
    key = serializers.RegexField(regex=rf"^{KEY_PATTERN}\Z", max_length=128)
    op = serializers.ChoiceField(choices=["set", "delete"])
    value = serializers.JSONField(required=False, help_text="For `set`: must fit the entry's type and schema.")
    value_type = serializers.ChoiceField(choices=ValueType.choices, required=False)
    secret = serializers.BooleanField(required=False)
    if_version = serializers.IntegerField(
        min_value=0,
        max_value=2**31 - 1,
        required=False,
        allow_null=True,
        help_text="Apply only if the entry is at this version then (0: it must not exist); else 409.",
    )


class ChangeRequestCreateInputSerializer(StrictSerializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=2000, allow_blank=True, required=False)
    changes = ChangeInputSerializer(many=True, allow_empty=False, max_length=200)
    scheduled_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="ISO 8601: `apply` then only schedules it for this instant."
    )


class ChangeRequestUpdateInputSerializer(ChangeRequestCreateInputSerializer):
    title = serializers.CharField(max_length=200, required=False)
    changes = ChangeInputSerializer(many=True, allow_empty=False, max_length=200, required=False)


class ChangeOutputSerializer(serializers.Serializer):
    """One stored change; a secret value is always shown masked (it is kept only encrypted)."""

    key = serializers.CharField()
    op = serializers.ChoiceField(choices=["set", "delete"])
    value = serializers.JSONField(required=False, help_text='For `set`; `"********"` for a secret value.')
    value_type = serializers.CharField(required=False)
    secret = serializers.BooleanField(required=False)
    if_version = serializers.IntegerField(required=False, allow_null=True)

    def to_representation(self, change: dict) -> dict:
        data = {name: change[name] for name in ("key", "op", "value_type", "secret", "if_version") if name in change}
        if change["op"] == "set":
            data["value"] = MASK if "value_encrypted" in change else change.get("value")
        return data


class ApprovalOutputSerializer(serializers.Serializer):
    user = serializers.UUIDField(source="user_id")
    approved_at = serializers.DateTimeField(source="created_at")


class ChangeRequestOutputSerializer(serializers.ModelSerializer):
    author = serializers.UUIDField(source="author_id", read_only=True, allow_null=True)
    decided_by = serializers.UUIDField(source="decided_by_id", read_only=True, allow_null=True)
    approvals = ApprovalOutputSerializer(many=True, read_only=True)
    changes = ChangeOutputSerializer(many=True, read_only=True)
    required_approvals = serializers.SerializerMethodField()

    class Meta:
        model = ChangeRequest
        fields = [
            "id",
            "title",
            "description",
            "status",
            "author",
            "approvals",
            "required_approvals",
            "changes",
            "scheduled_at",
            "applied_at",
            "decided_by",
            "failure",
            "created_at",
            "updated_at",
        ]

    def get_required_approvals(self, change_request: ChangeRequest) -> int:
        return required_approvals(change_request.environment)


class DiffOutputSerializer(serializers.Serializer):
    added = serializers.DictField(child=serializers.JSONField(), help_text="Only in this environment.")
    removed = serializers.DictField(child=serializers.JSONField(), help_text="Only in `against`.")
    changed = serializers.DictField(
        child=serializers.DictField(child=serializers.JSONField()),
        help_text='{key: {"from": against\'s value, "to": this environment\'s}}',
    )
