"""Query filters of GET /api/v1/audit/events/."""
from __future__ import annotations

import django_filters

from audit.models import ActorType, AuditEvent


class AuditEventFilter(django_filters.FilterSet):
    actor = django_filters.CharFilter(help_text="Id of the actor (a user id, or an API key id).")
    actor_type = django_filters.ChoiceFilter(choices=ActorType.choices)
    action = django_filters.CharFilter(help_text="Exact dotted action, e.g. `auth.login.failed`.")
    target_type = django_filters.CharFilter(help_text="Model label of the target, e.g. `accounts.user`.")
    target_id = django_filters.CharFilter()
    since = django_filters.IsoDateTimeFilter(
        field_name="timestamp", lookup_expr="gte", help_text="ISO 8601; events at or after this instant."
    )
    until = django_filters.IsoDateTimeFilter(
        field_name="timestamp", lookup_expr="lt", help_text="ISO 8601; events strictly before this instant."
    )
    request_id = django_filters.CharFilter(help_text="X-Request-ID of the request that caused the event.")

    class Meta:
        model = AuditEvent
        fields: list[str] = []
