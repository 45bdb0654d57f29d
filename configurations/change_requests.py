"""Change requests: reviewed, multi-entry changes of one environment, applied all or nothing.

A protected environment (Environment.protected) changes only through here. Approvals come from editors or
admins of the namespace other than the author; any edit by the author withdraws them. `apply` locks the
request, then every entry it touches (in key order, so two applies cannot deadlock), checks each change's
`if_version` under those locks and writes every change as a new version in one transaction: a stale
version or a concurrent direct write makes the whole apply fail with nothing changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from audit.services import record
from configurations import events, services
from configurations.crypto import decrypt_value, encrypt_value
from configurations.models import ChangeRequest, ChangeRequestApproval, Entry, Environment
from configurations.values import validate_value
from core.errors import ApplicationError, ConflictError, PermissionDeniedError, ValidationError
from core.selectors import first_or_not_found

Status = ChangeRequest.Status


def change_request_list(*, environment: Environment) -> QuerySet[ChangeRequest]:
    return ChangeRequest.objects.filter(environment=environment).prefetch_related("approvals")


def change_request_get(*, environment: Environment, pk: int) -> ChangeRequest:
    change_request = first_or_not_found(
        change_request_list(environment=environment).filter(pk=pk), "No such change request."
    )
    change_request.environment = environment
    return change_request


def _metadata(change_request: ChangeRequest) -> dict[str, Any]:
    environment = change_request.environment
    return {
        "namespace": environment.namespace.slug,
        "environment": environment.slug,
        "change_request": change_request.pk,
        "keys": [change["key"] for change in change_request.changes],
    }


def _stored_changes(environment: Environment, changes: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Validate the changes against the entries as they are now and keep secret values encrypted."""
    keys = [change["key"] for change in changes]
    if len(set(keys)) != len(keys):
        raise ValidationError({"changes": ["Each key may appear once."]})
    current = {entry.key: entry for entry in Entry.objects.filter(environment=environment, key__in=keys)}
    stored = []
    for position, change in enumerate(changes):
        entry = current.get(change["key"])
        item = {name: change[name] for name in ("key", "op", "value_type", "secret", "if_version") if name in change}
        if change["op"] == "set":
            if "value" not in change:
                raise ValidationError({f"changes[{position}].value": ["A set needs a value."]})
            value_type = change.get("value_type") or (entry.value_type if entry else None)
            if value_type is None:
                raise ValidationError({f"changes[{position}].value_type": ["A new entry needs a value_type."]})
            try:
                validate_value(change["value"], value_type=value_type, schema=entry.schema if entry else None)
            except ValidationError as exc:
                errors = {f"changes[{position}].{name}": message for name, message in exc.errors.items()}
                raise ValidationError(errors, code=exc.field_code) from None
            secret = change.get("secret", entry.secret if entry else False)
            if secret:
                item["value_encrypted"] = encrypt_value(change["value"])
            else:
                item["value"] = change["value"]
        stored.append(item)
    return stored


@transaction.atomic
def change_request_create(
    *,
    environment: Environment,
    title: str,
    changes: list[Mapping[str, Any]],
    description: str = "",
    scheduled_at: datetime | None = None,
    actor: Any,
    request: Any = None,
) -> ChangeRequest:
    change_request = ChangeRequest.objects.create(
        environment=environment,
        title=title,
        description=description,
        changes=_stored_changes(environment, changes),
        scheduled_at=scheduled_at,
        author=actor,
    )
    record(
        "config.change_request.created",
        actor=actor,
        target=change_request,
        metadata=_metadata(change_request),
        request=request,
    )
    return change_request


def _locked(change_request: ChangeRequest) -> ChangeRequest:
    locked = (
        ChangeRequest.objects.select_for_update(of=("self",))
        .select_related("environment__namespace")
        .get(pk=change_request.pk)
    )
    return locked


def _must_be_open(change_request: ChangeRequest) -> None:
    if change_request.status != Status.OPEN:
        raise ConflictError(f"The change request is {change_request.status}.", code="change_request_not_open")


def _reviewer(change_request: ChangeRequest, user: Any) -> None:
    if change_request.author_id == user.pk:
        raise PermissionDeniedError("The author cannot review their own change request.", code="author_cannot_review")


@transaction.atomic
def change_request_update(
    *, change_request: ChangeRequest, fields: Mapping[str, Any], actor: Any, request: Any = None
) -> ChangeRequest:
    """The author edits an open request; every approval is withdrawn."""
    change_request = _locked(change_request)
    if change_request.author_id != actor.pk:
        raise PermissionDeniedError("Only the author may edit a change request.", code="not_author")
    _must_be_open(change_request)
    for name in ("title", "description", "scheduled_at"):
        if name in fields:
            setattr(change_request, name, fields[name])
    if "changes" in fields:
        change_request.changes = _stored_changes(change_request.environment, fields["changes"])
    change_request.save()
    withdrawn, _ = change_request.approvals.all().delete()
    record(
        "config.change_request.updated",
        actor=actor,
        target=change_request,
        changes={"fields": sorted(fields), "approvals_withdrawn": withdrawn},
        metadata=_metadata(change_request),
        request=request,
    )
    return change_request


@transaction.atomic
def change_request_approve(*, change_request: ChangeRequest, actor: Any, request: Any = None) -> ChangeRequest:
    """Approve once per reviewer (a second approval by the same person counts once)."""
    change_request = _locked(change_request)
    _reviewer(change_request, actor)
    _must_be_open(change_request)
    _, created = ChangeRequestApproval.objects.get_or_create(change_request=change_request, user=actor)
    if created:
        record(
            "config.change_request.approved",
            actor=actor,
            target=change_request,
            metadata=_metadata(change_request),
            request=request,
        )
    return change_request


@transaction.atomic
def change_request_reject(*, change_request: ChangeRequest, actor: Any, request: Any = None) -> ChangeRequest:
    change_request = _locked(change_request)
    _reviewer(change_request, actor)
    _must_be_open(change_request)
    change_request.status = Status.REJECTED
    change_request.decided_by = actor
    change_request.save(update_fields=["status", "decided_by", "updated_at"])
    record(
        "config.change_request.rejected",
        actor=actor,
        target=change_request,
        metadata=_metadata(change_request),
        request=request,
    )
    return change_request


def required_approvals(environment: Environment) -> int:
    """A protected environment needs its reviewers; elsewhere a change request is a batch anyone may apply."""
    return environment.required_approvals if environment.protected else 0


@transaction.atomic
def change_request_apply(
    *, change_request: ChangeRequest, actor: Any, request: Any = None, scheduled_run: bool = False
) -> ChangeRequest:
    """Apply now, or mark `scheduled` when scheduled_at lies ahead (the scheduler applies it then)."""
    change_request = _locked(change_request)
    expected = Status.SCHEDULED if scheduled_run else Status.OPEN
    if change_request.status != expected:
        raise ConflictError(f"The change request is {change_request.status}.", code="change_request_not_open")
    approvers = [str(pk) for pk in change_request.approvals.values_list("user_id", flat=True)]
    needed = required_approvals(change_request.environment)
    if len(approvers) < needed:
        raise ConflictError(f"{needed} approvals are needed, {len(approvers)} given.", code="not_enough_approvals")
    now = timezone.now()
    if not scheduled_run and change_request.scheduled_at is not None and change_request.scheduled_at > now:
        change_request.status = Status.SCHEDULED
        change_request.save(update_fields=["status", "updated_at"])
        record(
            "config.change_request.scheduled",
            actor=actor,
            target=change_request,
            metadata={**_metadata(change_request), "scheduled_at": change_request.scheduled_at.isoformat()},
            request=request,
        )
        return change_request
    _write_changes(change_request, request)
    change_request.status = Status.APPLIED
    change_request.applied_at = now
    change_request.save(update_fields=["status", "applied_at", "updated_at"])
    record(
        "config.change_request.applied",
        actor=actor,
        target=change_request,
        metadata={**_metadata(change_request), "approvers": approvers, "author": str(change_request.author_id)},
        request=request,
    )
    events.emit(
        "config.change_request.applied",
        change_request.environment,
        key=None,
        version=None,
        change_request=change_request,
    )
    return change_request


def _write_changes(change_request: ChangeRequest, request: Any) -> None:
    environment = change_request.environment
    keys = sorted(change["key"] for change in change_request.changes)
    entries = {
        entry.key: entry
        for entry in Entry.objects.select_for_update(of=("self",))
        .select_related("environment__namespace")
        .filter(environment=environment, key__in=keys)
        .order_by("key")
    }
    for change in change_request.changes:
        entry = entries.get(change["key"])
        current = entry.version if entry else 0
        if change.get("if_version") is not None and change["if_version"] != current:
            raise ConflictError(
                f"{change['key']} is at version {current}, not {change['if_version']}.", code="stale_version"
            )
        if change["op"] == "delete" and entry is None:
            raise ConflictError(f"{change['key']} does not exist.", code="stale_version")
    author = change_request.author
    for change in change_request.changes:
        _write_one(environment, entries.get(change["key"]), change, author, change_request, request)


def _write_one(
    environment: Environment, entry: Entry | None, change: dict, author: Any, change_request: ChangeRequest, request
) -> None:
    common = {"actor": author, "request": request, "change_request": change_request}
    if change["op"] == "delete":
        services.entry_delete(entry=entry, if_match=None, **common)
        return
    value = decrypt_value(change["value_encrypted"]) if "value_encrypted" in change else change.get("value")
    if entry is None:
        services.entry_create(
            environment=environment,
            key=change["key"],
            value_type=change["value_type"],
            value=value,
            secret=change.get("secret", False),
            **common,
        )
        return
    fields = {"value": value, **{name: change[name] for name in ("value_type", "secret") if name in change}}
    services.entry_update(entry=entry, if_match=None, fields=fields, **common)


def change_requests_apply_due(*, now: datetime | None = None) -> int:
    """The scheduler's job: apply every scheduled request that is due; one that cannot be applied (stale
    version, approvals gone, invalid value) becomes `failed`, audited. Idempotent; returns how many applied."""
    now = now or timezone.now()
    due = ChangeRequest.objects.filter(status=Status.SCHEDULED, scheduled_at__lte=now).values_list("pk", flat=True)
    applied = 0
    for pk in list(due):
        change_request = ChangeRequest.objects.select_related("environment__namespace", "author").get(pk=pk)
        try:
            change_request_apply(change_request=change_request, actor=None, scheduled_run=True)
            applied += 1
        except ConflictError as exc:
            if exc.code == "change_request_not_open":
                continue  # another scheduler run got there first
            _fail(change_request, exc.detail)
        except ApplicationError as exc:
            _fail(change_request, _reason(exc))
    return applied


def _reason(exc: ApplicationError) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{name}: {message}" for name, message in exc.errors.items())
    return exc.detail


@transaction.atomic
def _fail(change_request: ChangeRequest, reason: str) -> None:
    updated = ChangeRequest.objects.filter(pk=change_request.pk, status=Status.SCHEDULED).update(
        status=Status.FAILED, failure=reason[:500], updated_at=timezone.now()
    )
    if updated:
        record(
            "config.change_request.failed",
            target=change_request,
            metadata={**_metadata(change_request), "reason": reason[:500]},
        )
