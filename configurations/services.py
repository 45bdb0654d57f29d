"""Writes of the configuration service.

Every change is validated, versioned, audited inside its transaction, and publishes the environment's new
cache marker after commit (configurations.resolved), so no instance serves an old resolved document once the
writer has its answer.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from audit.services import record
from configurations import access, events, selectors
from configurations.authentication import forget_keys, hash_key
from configurations.crypto import encrypt_value, rotate_token, stored_value
from configurations.models import ApiKey, Entry, EntryVersion, Environment, Namespace
from configurations.resolved import invalidate_on_commit
from configurations.values import MASK, validate_schema, validate_value
from core.errors import ConflictError, NotFoundError, PermissionDeniedError, PreconditionFailedError, ValidationError

# The actor of operator commands (import, key rotation): not a user, recorded as "system".
SYSTEM_ACTOR = SimpleNamespace(pk="manage.py", audit_actor_type="system")
ENTRY_FIELDS = ("value_type", "schema", "description", "secret")
# What an update or a rollback may change (never the environment, the key or created_at).
ENTRY_WRITE_FIELDS = [*ENTRY_FIELDS, "value", "value_encrypted", "version", "updated_by", "updated_at"]


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "audit_actor_type", "user") == "user" and getattr(actor, "pk", None) else None


def _save_new(obj: models.Model, conflict: str, code: str) -> None:
    """full_clean (as a 400) then INSERT; a unique clash, even a concurrent one, is a 409. A foreign key whose
    object the caller set (the environment, the acting user) is not looked up again: one query each."""
    loaded = [field.name for field in obj._meta.concrete_fields if field.is_relation and field.is_cached(obj)]
    try:
        obj.full_clean(exclude=loaded, validate_unique=False, validate_constraints=False)
    except DjangoValidationError as exc:
        raise ValidationError(exc.message_dict) from None
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        raise ConflictError(conflict, code=code) from None


NOT_EMPTY = "not_empty"


def _location(environment: Environment) -> dict[str, str]:
    return {"namespace": environment.namespace.slug, "environment": environment.slug}


# Namespaces and environments ------------------------------------------------------------------------


@transaction.atomic
def namespace_create(*, slug: str, description: str = "", actor: Any, request: Any = None) -> Namespace:
    namespace = Namespace(slug=slug, description=description)
    _save_new(namespace, "A namespace with this slug exists.", "namespace_exists")
    record("config.namespace.created", actor=actor, target=namespace, changes={"slug": slug}, request=request)
    return namespace


@transaction.atomic
def namespace_update(*, namespace: Namespace, description: str, actor: Any, request: Any = None) -> Namespace:
    changes = {"description": {"from": namespace.description, "to": description}}
    namespace.description = description
    namespace.save(update_fields=["description", "updated_at"])
    record("config.namespace.updated", actor=actor, target=namespace, changes=changes, request=request)
    return namespace


@transaction.atomic
def namespace_delete(*, namespace: Namespace, recursive: bool = False, actor: Any, request: Any = None) -> None:
    """Delete an empty namespace; with `recursive`, its environments and all they hold first, in this one
    transaction (409 `not_empty` without it)."""
    environments = list(namespace.environments.all())
    if environments and not recursive:
        raise ConflictError(
            "The namespace still has environments: delete them, or pass ?recursive=true.", code=NOT_EMPTY
        )
    entries = 0
    for environment in environments:
        entries += environment_delete(environment=environment, recursive=True, actor=actor, request=request)
    metadata = {"recursive": True, "environments": len(environments), "entries": entries} if recursive else None
    record(
        "config.namespace.deleted",
        actor=actor,
        target=namespace,
        changes={"slug": namespace.slug},
        metadata=metadata,
        request=request,
    )
    namespace.delete()


@transaction.atomic
def environment_create(
    *, namespace: Namespace, slug: str, description: str = "", actor: Any, request: Any = None
) -> Environment:
    environment = Environment(namespace=namespace, slug=slug, description=description)
    _save_new(environment, "The namespace has an environment with this slug.", "environment_exists")
    record(
        "config.environment.created", actor=actor, target=environment, metadata=_location(environment), request=request
    )
    invalidate_on_commit(environment)
    return environment


@transaction.atomic
def environment_update(*, environment: Environment, actor: Any, request: Any = None, **fields: Any) -> Environment:
    """Change any of description, protected, required_approvals (1 to 5)."""
    changes = {
        name: {"from": getattr(environment, name), "to": value}
        for name, value in fields.items()
        if getattr(environment, name) != value
    }
    for name, value in fields.items():
        setattr(environment, name, value)
    environment.save(update_fields=[*fields, "updated_at"])
    record(
        "config.environment.updated",
        actor=actor,
        target=environment,
        changes=changes,
        metadata=_location(environment),
        request=request,
    )
    return environment


@transaction.atomic
def environment_delete(*, environment: Environment, recursive: bool = False, actor: Any, request: Any = None) -> int:
    """Delete an environment without entries; with `recursive`, its entries too (their versions and API
    keys go with it), in this one transaction (409 `not_empty` without it). Returns how many entries went."""
    entries = environment.entries.count()
    if entries and not recursive:
        raise ConflictError("The environment still has entries: delete them, or pass ?recursive=true.", code=NOT_EMPTY)
    key_hashes = list(environment.api_keys.values_list("key_hash", flat=True))
    metadata = _location(environment)
    if recursive:
        metadata.update(recursive=True, entries=entries)
    record("config.environment.deleted", actor=actor, target=environment, metadata=metadata, request=request)
    invalidate_on_commit(environment)
    environment.delete()
    transaction.on_commit(lambda: forget_keys(key_hashes))
    return entries


# Entries ---------------------------------------------------------------------------------------------


def _set_value(entry: Entry, value: Any) -> None:
    if entry.secret:
        entry.value, entry.value_encrypted = None, encrypt_value(value)
    else:
        entry.value, entry.value_encrypted = value, ""


def _write_version(entry: Entry, change: str, change_request: Any = None) -> None:
    EntryVersion.objects.create(
        entry=entry,
        environment_id=entry.environment_id,
        key=entry.key,
        version=entry.version,
        value_type=entry.value_type,
        value=entry.value,
        value_encrypted=entry.value_encrypted,
        secret=entry.secret,
        change=change,
        changed_by=entry.updated_by,
        change_request=change_request,
    )


def _committed(
    entry: Entry, change: str, action: str, changes: dict, actor: Any, request: Any, change_request: Any = None
) -> Entry:
    """The common tail of every entry write: history, audit, webhooks (outbox), cache."""
    _write_version(entry, change, change_request)
    metadata = {**_location(entry.environment), "entry": entry.key, "version": entry.version}
    if change_request is not None:
        metadata["change_request"] = change_request.pk
    record(action, actor=actor, target=entry, changes=changes, metadata=metadata, request=request)
    events.emit(action, entry.environment, key=entry.key, version=entry.version, change_request=change_request)
    invalidate_on_commit(entry.environment)
    return entry


def _direct_write_allowed(environment: Environment, change_request: Any) -> None:
    if environment.protected and change_request is None:
        raise ConflictError(
            "The environment is protected: propose the change as a change request.", code="change_request_required"
        )


def _shown(value: Any, secret: bool) -> Any:
    return MASK if secret else value


def _snapshot(entry: Entry) -> dict[str, Any]:
    return {"value": stored_value(entry), **{name: getattr(entry, name) for name in ENTRY_FIELDS}}


def _diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Field-by-field changes for the audit trail; a value that is or was secret is never written out."""
    hide = bool(before.get("secret") or after["secret"])
    diff = {}
    for name, value in after.items():
        if before.get(name) != value:
            masked = hide and name == "value"
            diff[name] = {"from": _shown(before.get(name), masked), "to": _shown(value, masked)}
    return diff


@transaction.atomic
def entry_create(
    *,
    environment: Environment,
    key: str,
    value_type: str,
    value: Any,
    schema: Any = None,
    description: str = "",
    secret: bool = False,
    actor: Any,
    request: Any = None,
    change_request: Any = None,
) -> Entry:
    _direct_write_allowed(environment, change_request)
    validate_schema(schema)
    validate_value(value, value_type=value_type, schema=schema)
    entry = Entry(
        environment=environment,
        key=key,
        value_type=value_type,
        schema=schema,
        description=description,
        secret=secret,
        version=1,
        updated_by=_user(actor),
    )
    _set_value(entry, value)
    _save_new(entry, "The environment has an entry with this key.", "entry_exists")
    changes = _diff({}, _snapshot(entry))
    return _committed(
        entry, EntryVersion.Change.CREATED, "config.entry.created", changes, actor, request, change_request
    )


def _lock(if_match: list[str] | None, **lookup: Any) -> Entry | None:
    """Lock the row (with its environment and namespace), then compare: the check and the write are one
    step, so one of N racing writers wins. None when no entry matches `lookup`."""
    locked = (
        Entry.objects.select_for_update(of=("self",)).select_related("environment__namespace").filter(**lookup).first()
    )
    if locked is not None and if_match is not None and "*" not in if_match and locked.etag not in if_match:
        raise PreconditionFailedError("The entry has changed since that ETag; GET it again.")
    return locked


def _lock_loaded(entry: Entry, if_match: list[str] | None) -> Entry:
    locked = _lock(if_match, pk=entry.pk)
    if locked is None:
        raise NotFoundError("No such entry.")
    return locked


def _may_reveal(actor: Any, entry: Entry) -> bool:
    """What shows the actor secrets on reads (the global role or the namespace membership) allows this."""
    if actor is None:
        return True
    slug = entry.environment.namespace.slug
    return access.has_namespace_perms(user=actor, namespace_slug=slug, permissions=["configurations.reveal_secret"])


def _reveal_required() -> PermissionDeniedError:
    return PermissionDeniedError(
        "This write would expose a secret value: it needs the reveal_secret permission.",
        code="reveal_secret_required",
    )


def _ensure_blind_write(entry: Entry, fields: Mapping[str, Any], actor: Any) -> None:
    """reveal_secret guards writes too: without it, no write to a secret entry may have an outcome that
    depends on the stored value (turning `secret` off shows it; a new schema or type validates it, and a
    400 or a 200 then tells something about it). A write that brings its own value is blind."""
    if not entry.secret or "value" in fields or _may_reveal(actor, entry):
        return
    if fields.get("secret") is False or any(
        name in fields and fields[name] != getattr(entry, name) for name in ("schema", "value_type")
    ):
        raise _reveal_required()


@transaction.atomic
def entry_update(
    *,
    entry: Entry,
    if_match: list[str] | None,
    fields: Mapping[str, Any],
    actor: Any,
    request: Any = None,
    change_request: Any = None,
) -> Entry:
    """Apply `fields` (any of value, value_type, schema, description, secret) as a new version."""
    return _update_locked(_lock_loaded(entry, if_match), fields, actor, request, change_request)


@transaction.atomic
def entry_update_by_path(
    *,
    namespace_slug: str,
    environment_slug: str,
    key: str,
    if_match: list[str] | None,
    fields: Mapping[str, Any],
    actor: Any,
    request: Any = None,
) -> Entry:
    """entry_update of the entry at this URL, found and locked in one query (the hot write: no read of
    the environment or the entry before the lock)."""
    entry = _lock(if_match, environment__namespace__slug=namespace_slug, environment__slug=environment_slug, key=key)
    if entry is None:  # which part is missing decides the message
        selectors.environment_get(namespace_slug=namespace_slug, slug=environment_slug)
        raise NotFoundError("No such entry.")
    return _update_locked(entry, fields, actor, request, None)


def _update_locked(entry: Entry, fields: Mapping[str, Any], actor: Any, request: Any, change_request: Any) -> Entry:
    _ensure_blind_write(entry, fields, actor)
    _direct_write_allowed(entry.environment, change_request)
    before = _snapshot(entry)
    after = {**before, **fields}
    if "schema" in fields:
        validate_schema(after["schema"])
    validate_value(after["value"], value_type=after["value_type"], schema=after["schema"])
    for name in ENTRY_FIELDS:
        setattr(entry, name, after[name])
    _set_value(entry, after["value"])
    entry.version += 1
    entry.updated_by = _user(actor)
    entry.save(update_fields=ENTRY_WRITE_FIELDS)
    changes = _diff(before, after)
    return _committed(
        entry, EntryVersion.Change.UPDATED, "config.entry.updated", changes, actor, request, change_request
    )


@transaction.atomic
def entry_rollback(*, entry: Entry, version: int, if_match: list[str] | None, actor: Any, request: Any = None) -> Entry:
    """A new version carrying version `version`'s value (and type); history is never rewritten."""
    entry = _lock_loaded(entry, if_match)
    _direct_write_allowed(entry.environment, None)
    source = entry.versions.filter(version=version).first()
    if source is None:
        raise ValidationError({"version": ["The entry has no such version."]})
    if (entry.secret or source.secret) and not _may_reveal(actor, entry):
        raise _reveal_required()  # restoring validates a value the actor may not see (_ensure_blind_write)
    value = stored_value(source)
    validate_value(value, value_type=source.value_type, schema=entry.schema)
    previous = entry.version
    entry.value_type = source.value_type
    _set_value(entry, value)
    entry.version += 1
    entry.updated_by = _user(actor)
    entry.save(update_fields=ENTRY_WRITE_FIELDS)
    changes = {"version": {"from": previous, "to": entry.version}, "restored_version": version}
    return _committed(entry, EntryVersion.Change.ROLLED_BACK, "config.entry.rolled_back", changes, actor, request)


@transaction.atomic
def entry_delete(
    *, entry: Entry, if_match: list[str] | None, actor: Any, request: Any = None, change_request: Any = None
) -> None:
    """Delete the entry; its versions stay (entry set to NULL) for the record, closed by a tombstone that
    says when (time travel: configurations.history)."""
    entry = _lock_loaded(entry, if_match)
    _direct_write_allowed(entry.environment, change_request)
    metadata = {**_location(entry.environment), "entry": entry.key}
    if change_request is not None:
        metadata["change_request"] = change_request.pk
    record(
        "config.entry.deleted",
        actor=actor,
        target=entry,
        changes={"version": entry.version},
        metadata=metadata,
        request=request,
    )
    deleted_version = entry.version
    entry.version += 1
    entry.updated_by = _user(actor)
    _write_version(entry, EntryVersion.Change.DELETED, change_request)
    events.emit(
        "config.entry.deleted", entry.environment, key=entry.key, version=deleted_version, change_request=change_request
    )
    invalidate_on_commit(entry.environment)
    entry.delete()


@transaction.atomic
def secret_reveal_record(*, target: models.Model, keys: list[str], request: Any) -> None:
    """Audit a response that shows secret values in clear to a user (like Vault audits each read)."""
    record("config.secret.revealed", target=target, metadata={"entries": sorted(keys)}, request=request)


# API keys --------------------------------------------------------------------------------------------


@transaction.atomic
def api_key_create(
    *, environment: Environment, name: str, expires_at: datetime | None, actor: Any, request: Any = None
) -> tuple[ApiKey, str]:
    """A new key; the raw key is returned once and never stored (only its SHA-256)."""
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": ["The expiry must be in the future."]})
    raw_key = f"ck_{secrets.token_urlsafe(32)}"
    api_key = ApiKey(
        environment=environment,
        name=name,
        prefix=raw_key[:11],
        key_hash=hash_key(raw_key),
        expires_at=expires_at,
        created_by=_user(actor),
    )
    _save_new(api_key, "Key collision; try again.", "api_key_conflict")
    record(
        "apikey.created",
        actor=actor,
        target=api_key,
        changes={"name": name, "expires_at": expires_at.isoformat() if expires_at else None},
        metadata=_location(environment),
        request=request,
    )
    return api_key, raw_key


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey, actor: Any, request: Any = None) -> ApiKey:
    """Revoke at once on every instance (the cached validity is dropped after commit); idempotent."""
    if api_key.revoked_at is not None:
        return api_key
    api_key.revoked_at = timezone.now()
    api_key.save(update_fields=["revoked_at"])
    record(
        "apikey.revoked",
        actor=actor,
        target=api_key,
        changes={"name": api_key.name},
        metadata=_location(api_key.environment),
        request=request,
    )
    key_hash = api_key.key_hash
    transaction.on_commit(lambda: forget_keys([key_hash]))
    return api_key


@transaction.atomic
def encryption_keys_rotate() -> int:
    """Re-encrypt every stored secret (entries and their history) under the newest key; returns the count."""
    count = 0
    for model in (Entry, EntryVersion):
        rows = model.objects.exclude(value_encrypted="").values_list("pk", "value_encrypted")
        for pk, token in rows.iterator():
            # A queryset UPDATE: the ciphertext changes, the immutable version's content does not; the
            # rotation is recorded once below, not per row.
            model.objects.filter(pk=pk).update(value_encrypted=rotate_token(token))
            count += 1
    record("config.keys.rotated", actor=SYSTEM_ACTOR, metadata={"values": count})
    return count
