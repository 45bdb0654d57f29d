"""Namespace members: reads and audited writes (API.md *team access*)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from audit.services import record
from configurations.models import Namespace, NamespaceMember
from core.errors import ConflictError, ValidationError
from core.selectors import first_or_not_found


def member_list(*, namespace: Namespace) -> QuerySet[NamespaceMember]:
    return NamespaceMember.objects.filter(namespace=namespace).order_by("created_at", "pk")


def member_get(*, namespace: Namespace, user_id: Any) -> NamespaceMember:
    member = first_or_not_found(NamespaceMember.objects.filter(namespace=namespace, user_id=user_id), "No such member.")
    member.namespace = namespace
    return member


def _metadata(member: NamespaceMember) -> dict[str, str]:
    return {"namespace": member.namespace.slug, "user": str(member.user_id)}


@transaction.atomic
def member_add(*, namespace: Namespace, user_id: Any, role: str, actor: Any, request: Any = None) -> NamespaceMember:
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise ValidationError({"user": "No such active user."}, code="does_not_exist")
    member = NamespaceMember(namespace=namespace, user=user, role=role)
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError:
        raise ConflictError("The user is a member already; PATCH the membership.", code="member_exists") from None
    record(
        "config.member.added",
        actor=actor,
        target=member,
        changes={"role": role},
        metadata=_metadata(member),
        request=request,
    )
    return member


@transaction.atomic
def member_change(*, member: NamespaceMember, role: str, actor: Any, request: Any = None) -> NamespaceMember:
    changes = {"role": {"from": member.role, "to": role}}
    member.role = role
    member.save(update_fields=["role", "updated_at"])
    record(
        "config.member.changed",
        actor=actor,
        target=member,
        changes=changes,
        metadata=_metadata(member),
        request=request,
    )
    return member


@transaction.atomic
def member_remove(*, member: NamespaceMember, actor: Any, request: Any = None) -> None:
    record(
        "config.member.removed",
        actor=actor,
        target=member,
        changes={"role": member.role},
        metadata=_metadata(member),
        request=request,
    )
    member.delete()
