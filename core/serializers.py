"""Serializer bases that reject fields the endpoint does not know (API.md: unknown fields are 400)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from rest_framework import fields as drf_fields
from rest_framework import relations, serializers
from rest_framework.fields import SkipField

# Fields whose output depends on the value alone (not on their serializer, its context or the request): a
# field of one of these exact types can be shared by every instance of its serializer class.
_CONTEXT_FREE = {
    drf_fields.BigIntegerField,
    drf_fields.BooleanField,
    drf_fields.CharField,
    drf_fields.ChoiceField,
    drf_fields.DateField,
    drf_fields.DateTimeField,
    drf_fields.EmailField,
    drf_fields.FloatField,
    drf_fields.IntegerField,
    drf_fields.JSONField,
    drf_fields.UUIDField,
    relations.PrimaryKeyRelatedField,
}


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


class OutputModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer for responses that builds its fields from the model once per class, not once per
    response: DRF's get_fields() maps every model field afresh for each instance, and binding copies of them
    costs about as much again (together ~0.2 ms a response, most of a bare view's cost; 20 times that for a
    page of 20). When every field is context-free (`_CONTEXT_FREE`, or a SerializerMethodField, which is
    called on the serializer at hand), `to_representation` uses one bound set of fields per class; otherwise
    each instance gets a copy of the built fields, since DRF binds fields to their serializer."""

    def get_fields(self) -> dict[str, serializers.Field]:
        prototype = type(self).__dict__.get("_fields_prototype")
        if prototype is None:
            prototype = super().get_fields()
            type(self)._fields_prototype = prototype
        return copy.deepcopy(prototype)

    def to_representation(self, instance: Any) -> dict[str, Any]:
        plan = _plan(type(self))
        if plan is None:
            return super().to_representation(instance)
        representation = {}
        for name, field, method in plan:
            if method is not None:
                representation[name] = getattr(self, method)(instance)
                continue
            try:
                attribute = field.get_attribute(instance)
            except SkipField:
                continue
            none = attribute.pk is None if isinstance(attribute, relations.PKOnlyObject) else attribute is None
            representation[name] = None if none else field.to_representation(attribute)
        return representation


def _plan(cls: type[OutputModelSerializer]) -> tuple | None:
    """(name, bound field, method name of a SerializerMethodField) per readable field of `cls`, bound once to
    a context-free instance; None when a field may depend on its serializer."""
    if "_representation_plan" not in cls.__dict__:
        plan: list[tuple] = []
        for field in cls()._readable_fields:
            if isinstance(field, drf_fields.SerializerMethodField):
                plan.append((field.field_name, field, field.method_name))
            elif type(field) in _CONTEXT_FREE and not getattr(field, "pk_field", None):
                plan.append((field.field_name, field, None))
            else:
                plan = None
                break
        cls._representation_plan = tuple(plan) if plan is not None else None
    return cls._representation_plan
