"""Serializer bases that reject fields the endpoint does not know (API.md: unknown fields are 400)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers


class RejectUnknownFieldsMixin:
    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))  # type: ignore[attr-defined]
            if unknown:
                raise serializers.ValidationError(
                    {name: [serializers.ErrorDetail("Unknown field.", code="unknown_field")] for name in unknown}
                )
        return super().to_internal_value(data)  # type: ignore[misc]


class StrictSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    pass
