"""Model changes captured into the trail: which models, and which of their fields are excluded or masked.

django-auditlog provides the signal wiring (an `AuditlogModelRegistry` of our own, with our receivers
instead of its LogEntry writers) and the per-field value extraction (`auditlog.diff.get_field_value`).
Its LogEntry table, its middleware and its mask (which keeps half of the value) are not used: every
change becomes an AuditEvent `model.<app>.<model>.<created|updated|deleted>` through audit.services, with
`changes = {field: [old, new]}`.

`TRACKED` maps a model label to its options. Labels whose model does not exist (yet) are skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from auditlog.diff import get_field_value
from auditlog.registry import AuditlogModelRegistry
from django.apps import apps
from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from audit.redaction import MASK


@dataclass(frozen=True)
class Tracked:
    exclude: tuple[str, ...] = ()  # never recorded (hashes, ciphertexts, bookkeeping)
    mask: tuple[str, ...] = ()  # recorded as "********" when changed
    mask_when: dict[str, Callable[[models.Model], bool]] = field(default_factory=dict)  # masked if predicate
    public: tuple[str, ...] = ()  # identifiers exempt from the secret-by-name rule (e.g. a config entry's `key`)
    m2m: tuple[str, ...] = ()  # many-to-many fields whose additions and removals are recorded

    def masked_fields(self, *instances: models.Model | None) -> set[str]:
        masked = set(self.mask)
        for name, predicate in self.mask_when.items():
            if any(instance is not None and predicate(instance) for instance in instances):
                masked.add(name)
        return masked


def _secret_entry(instance: models.Model) -> bool:
    return bool(getattr(instance, "secret", False))


TRACKED: dict[str, Tracked] = {
    "accounts.user": Tracked(exclude=("password", "last_login")),
    # Roles are groups: what a role may do is its permissions.
    "auth.group": Tracked(m2m=("permissions",)),
    "configurations.namespace": Tracked(),
    "configurations.environment": Tracked(exclude=("updated_at",)),
    "configurations.entry": Tracked(
        exclude=("value_encrypted", "updated_at"), mask_when={"value": _secret_entry}, public=("key",)
    ),
    # The key itself is never stored; its hash is excluded, usage bookkeeping too.
    "configurations.apikey": Tracked(exclude=("key_hash", "last_used_at"), mask=("prefix",)),
    # The chunk manifest is up to thousands of digests: the file's sha256 identifies the content.
    "downloads.file": Tracked(exclude=("chunks",)),
}

_NO_OPTIONS = Tracked()


def options_for(model: type[models.Model]) -> Tracked:
    return TRACKED.get(model._meta.label_lower, _NO_OPTIONS)


def _value(instance: models.Model | None, model_field: models.Field) -> Any:
    return None if instance is None else get_field_value(instance, model_field, use_json_for_changes=True)


def model_diff(
    old: models.Model | None, new: models.Model | None, fields: Iterable[str] | None = None
) -> dict[str, list[Any]]:
    """{field: [old, new]} of the changed concrete fields, excluded fields dropped and masked ones masked."""
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
    for name in options.masked_fields(old, new) & diff.keys():
        diff[name] = [value if value in (None, "") else MASK for value in diff[name]]
    return diff


def _before_save(sender, instance: models.Model, update_fields=None, raw: bool = False, **kwargs) -> None:
    if raw or instance._state.adding or instance.pk is None:
        return
    old = sender._base_manager.filter(pk=instance.pk).first()
    instance._audit_diff = model_diff(old, instance, update_fields) if old is not None else None  # type: ignore[attr-defined]


def _after_save(sender, instance: models.Model, created: bool, raw: bool = False, **kwargs) -> None:
    from audit.services import record_model_change

    if raw:
        return  # fixture loading (loaddata, test database set-up), as auditlog's AUDITLOG_DISABLE_ON_RAW_SAVE

    diff = model_diff(None, instance) if created else instance.__dict__.pop("_audit_diff", None)
    if diff:
        record_model_change("created" if created else "updated", instance, diff)


def _after_delete(sender, instance: models.Model, **kwargs) -> None:
    from audit.services import record_model_change

    record_model_change("deleted", instance, model_diff(instance, None))


def _m2m_receiver(field_name: str) -> Callable:
    """Records `{field: {"added"|"removed": [str(related), ...]}}` as an update of the field's owner."""

    def changed(owner: models.Model, verb: str, related: Iterable[Any]) -> None:
        from audit.services import record_model_change

        names = sorted(str(item) for item in related)
        if names:
            record_model_change("updated", owner, {field_name: {verb: names}})

    def receiver(sender, instance, action: str, reverse: bool, model, pk_set, **kwargs) -> None:
        if action == "pre_clear" and not reverse:
            instance._audit_cleared = list(getattr(instance, field_name).all())  # type: ignore[attr-defined]
        elif action == "post_clear":
            changed(instance, "removed", instance.__dict__.pop("_audit_cleared", []))
        elif action in ("post_add", "post_remove") and pk_set:
            verb = "added" if action == "post_add" else "removed"
            related = list(model._base_manager.filter(pk__in=pk_set))
            if reverse:  # e.g. permission.group_set.add(group): the groups are the owners
                for owner in related:
                    changed(owner, verb, [instance])
            else:
                changed(instance, verb, related)

    return receiver


def _connect_m2m(model: type[models.Model], options: Tracked) -> None:
    for field_name in options.m2m:
        through = getattr(model, field_name).through
        m2m_changed.connect(
            _m2m_receiver(field_name),
            sender=through,
            weak=False,
            dispatch_uid=f"audit-m2m-{model._meta.label_lower}-{field_name}",
        )


model_changes = AuditlogModelRegistry(
    create=False,
    update=False,
    delete=False,
    access=False,
    m2m=False,
    custom={pre_save: _before_save, post_save: _after_save, post_delete: _after_delete},
)


def register_tracked_models() -> list[str]:
    """Connect every TRACKED model that exists; returns the labels registered (called by AuditConfig.ready)."""
    registered = []
    for label in TRACKED:
        try:
            model = apps.get_model(label)
        except LookupError:
            continue  # that app's model is not written yet, or was renamed
        if not model_changes.contains(model):
            model_changes.register(model)
            _connect_m2m(model, TRACKED[label])
        registered.append(label)
    return registered
