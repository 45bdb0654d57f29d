"""Data shapes of the configuration API: strict input serializers, output serializers that mask secrets.

Output serializers show a secret value in clear only when the context says `reveal` (an editor, an
admin or an API key); the views audit every response that does so for a user.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from configurations.crypto import stored_value
from configurations.models import (
    KEY_PATTERN,
    SLUG_PATTERN,
    ApiKey,
    Entry,
    EntryVersion,
    Environment,
    Namespace,
    ValueType,
)
from configurations.values import MASK
from core.serializers import OutputModelSerializer, StrictSerializer

_SLUG = {"regex": rf"^{SLUG_PATTERN}\Z", "max_length": 64, "help_text": "1 to 64 of a-z, 0-9 and '-'."}
_DESCRIPTION = {"max_length": 500, "allow_blank": True, "required": False}


# Inputs ----------------------------------------------------------------------------------------------


class NamespaceCreateInputSerializer(StrictSerializer):
    slug = serializers.RegexField(**_SLUG)
    description = serializers.CharField(**_DESCRIPTION)


class NamespaceUpdateInputSerializer(StrictSerializer):
    description = serializers.CharField(**_DESCRIPTION)


class EnvironmentCreateInputSerializer(NamespaceCreateInputSerializer):
    pass


class EnvironmentUpdateInputSerializer(NamespaceUpdateInputSerializer):
    protected = serializers.BooleanField(
        required=False, help_text="Entries then change only through approved change requests."
    )
    required_approvals = serializers.IntegerField(min_value=1, max_value=5, required=False)


class ConfigurationDeleteQueryInputSerializer(StrictSerializer):
    recursive = serializers.ChoiceField(
        choices=["true", "false"],
        default="false",
        help_text="`true` deletes everything below too, in one transaction; else a non-empty one is 409 `not_empty`.",
    )


@extend_schema_field({"oneOf": [{"type": "object"}, {"type": "boolean"}]})
class JsonSchemaField(serializers.JSONField):
    """A JSON Schema document: an object or a boolean (configurations.values.validate_schema)."""


class EntryPatchInputSerializer(StrictSerializer):
    """Any subset of the writable fields; a new version either way."""

    value = serializers.JSONField(required=False, help_text="Must fit value_type and schema.")
    value_type = serializers.ChoiceField(choices=ValueType.choices, required=False)
    schema = JsonSchemaField(required=False, allow_null=True, help_text="A JSON Schema the value must fit.")
    description = serializers.CharField(**_DESCRIPTION)
    secret = serializers.BooleanField(required=False)


class EntryPutInputSerializer(EntryPatchInputSerializer):
    """`value` is required; omitted fields keep their current setting (a secret stays secret)."""

    value = serializers.JSONField(help_text="Must fit value_type and schema.")


class EntryCreateInputSerializer(EntryPutInputSerializer):
    key = serializers.RegexField(regex=rf"^{KEY_PATTERN}\Z", max_length=128, help_text="1 to 128 of [A-Za-z0-9_.-].")
    value_type = serializers.ChoiceField(choices=ValueType.choices)


class EntryRollbackInputSerializer(StrictSerializer):
    version = serializers.IntegerField(
        min_value=1, max_value=2**31 - 1, help_text="The version whose value becomes current again."
    )


class ApiKeyCreateInputSerializer(StrictSerializer):
    name = serializers.CharField(max_length=100)
    expires_at = serializers.DateTimeField(required=False, allow_null=True, help_text="ISO 8601; none: no expiry.")


# Outputs ---------------------------------------------------------------------------------------------


class NamespaceOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Namespace
        fields = ["slug", "description", "created_at", "updated_at"]


class EnvironmentOutputSerializer(serializers.ModelSerializer):
    namespace = serializers.CharField(source="namespace.slug", read_only=True)

    class Meta:
        model = Environment
        fields = ["namespace", "slug", "description", "protected", "required_approvals", "created_at", "updated_at"]


class _RevealingSerializer(OutputModelSerializer):
    value = serializers.SerializerMethodField(help_text='The value; `"********"` for a secret unless revealed.')

    @extend_schema_field(OpenApiTypes.ANY)
    def get_value(self, row: Any) -> Any:
        if self._is_secret(row) and not self.context.get("reveal"):
            return MASK
        return stored_value(row)

    def _is_secret(self, row: Any) -> bool:
        return row.secret


class EntryOutputSerializer(_RevealingSerializer):
    updated_by = serializers.UUIDField(source="updated_by_id", read_only=True, allow_null=True)

    class Meta:
        model = Entry
        fields = [
            "key",
            "value",
            "value_type",
            "schema",
            "description",
            "secret",
            "version",
            "created_at",
            "updated_at",
            "updated_by",
        ]


class EntryVersionOutputSerializer(_RevealingSerializer):
    changed_by = serializers.UUIDField(source="changed_by_id", read_only=True, allow_null=True)

    class Meta:
        model = EntryVersion
        fields = ["version", "value", "value_type", "secret", "change", "changed_by", "changed_at"]

    def _is_secret(self, row: Any) -> bool:
        # Once an entry is secret, its earlier clear versions are masked too.
        return row.secret or self.context.get("entry_secret", False)


class ApiKeyOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiKey
        fields = ["id", "name", "prefix", "expires_at", "last_used_at", "revoked_at", "created_at"]


class ApiKeyCreatedOutputSerializer(ApiKeyOutputSerializer):
    key = serializers.CharField(read_only=True, help_text="The key itself: shown this once, stored only hashed.")

    class Meta(ApiKeyOutputSerializer.Meta):
        fields = [*ApiKeyOutputSerializer.Meta.fields, "key"]
