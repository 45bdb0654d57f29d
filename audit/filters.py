"""Query filters of GET /api/v1/audit/events/."""

from __future__ import annotations

from datetime import UTC

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField

from audit.models import ActorType, AuditEvent


class _UTCIsoDateTimeField(IsoDateTimeField):
    """ISO 8601 accepts UTC offsets up to ±23:59, PostgreSQL only up to ±15:59: compare in UTC."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return value
        try:
            return value.astimezone(UTC)
        except OverflowError as exc:  # e.g. 0001-01-01T00:00+01:00 is before year 1 in UTC
            raise forms.ValidationError("Enter a date and time within the supported range.", code="invalid") from exc


class _UTCIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = _UTCIsoDateTimeField


class AuditEventFilter(django_filters.FilterSet):
    actor = django_filters.CharFilter(help_text="Id of the actor (a user id, or an API key id).")
    actor_type = django_filters.ChoiceFilter(choices=ActorType.choices)
    action = django_filters.CharFilter(help_text="Exact dotted action, e.g. `auth.login.failed`.")
    target_type = django_filters.CharFilter(help_text="Model label of the target, e.g. `accounts.user`.")
    target_id = django_filters.CharFilter()
    since = _UTCIsoDateTimeFilter(
        field_name="timestamp", lookup_expr="gte", help_text="ISO 8601; events at or after this instant."
    )
    until = _UTCIsoDateTimeFilter(
        field_name="timestamp", lookup_expr="lt", help_text="ISO 8601; events strictly before this instant."
    )
    request_id = django_filters.CharFilter(help_text="X-Request-ID of the request that caused the event.")

    class Meta:
        model = AuditEvent
        fields: list[str] = []
