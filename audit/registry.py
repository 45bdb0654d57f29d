"""What the admin's own edits of users and roles record: which models, which fields are left out.

Every other write is recorded explicitly by its service (`audit.services.record`). The admin forms of
users and groups (roles) have no service of their own, so `audit.admin.AuditedModelAdmin` records their
changes as `model.<app>.<model>.<created|updated|deleted>` with `changes = {field: [old, new]}`, and many-to-
many edits as `{field: {"added"|"removed": [str(related), ...]}}`. Field values are extracted as
django-auditlog does (`auditlog.diff.get_field_value`); its signals, LogEntry table and middleware are not used.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from auditlog.diff import get_field_value
from django.db import models


@dataclass(frozen=True)
class Tracked:
    exclude: tuple[str, ...] = ()  # never recorded (hashes, bookkeeping)
    m2m: tuple[str, ...] = ()  # many-to-many fields whose additions and removals are recorded


TRACKED: dict[str, Tracked] = {
    "accounts.user": Tracked(exclude=("password", "last_login"), m2m=("groups", "user_permissions")),
    # Roles are groups: what a role may do is its permissions.
    "auth.group": Tracked(m2m=("permissions",)),
}

_NO_OPTIONS = Tracked()


def options_for(model: type[models.Model]) -> Tracked:
    return TRACKED.get(model._meta.label_lower, _NO_OPTIONS)


def _value(instance: models.Model | None, model_field: models.Field) -> Any:
    return None if instance is None else get_field_value(instance, model_field, use_json_for_changes=True)


def model_diff(
    old: models.Model | None, new: models.Model | None, fields: Iterable[str] | None = None
) -> dict[str, list[Any]]:
    """{field: [old, new]} of the changed concrete fields, excluded fields dropped."""
    instance = new if new is not None else old
    if instance is None:
        raise ValueError("model_diff needs an old or a new instance")
    options = options_for(type(instance))
    wanted = set(fields) if fields else None
    diff: dict[str, list[Any]] = {}
    for model_field in instance._meta.concrete_fields:
        if model_field.name in options.exclude:
            continue
        if wanted is not None and not {model_field.name, model_field.attname} & wanted:
            continue
        before, after = _value(old, model_field), _value(new, model_field)
        if before != after:
            diff[model_field.name] = [before, after]
    return diff


def m2m_snapshot(instance: models.Model) -> dict[str, set[str]]:
    """The related objects (as text) of each tracked many-to-many field of a saved instance."""
    if instance.pk is None:
        return {}
    return {name: {str(item) for item in getattr(instance, name).all()} for name in options_for(type(instance)).m2m}


def m2m_diff(before: dict[str, set[str]], after: dict[str, set[str]]) -> dict[str, dict[str, list[str]]]:
    """{field: {"added": [...], "removed": [...]}} for the fields whose related objects changed."""
    diff: dict[str, dict[str, list[str]]] = {}
    for name in after:
        old, new = before.get(name, set()), after[name]
        change = {verb: sorted(items) for verb, items in (("added", new - old), ("removed", old - new)) if items}
        if change:
            diff[name] = change
    return diff
