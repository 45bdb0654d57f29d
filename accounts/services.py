"""Accounts' writes: registration and verification, passwords, users and roles.

Login sessions (tokens, refresh, logout, revocation) are in accounts.session_services.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q

from accounts.emails import send_password_reset_email, send_verification_email
from accounts.models import RevocationReason, User
from accounts.roles import Role
from accounts.session_services import sessions_revoke_for_user
from accounts.tokens import email_verification_user, password_reset_user
from audit.services import record
from core.errors import ApplicationError, ConflictError, ValidationError


class InvalidTokenError(ApplicationError):
    code = "invalid_token"
    title = "Invalid token"


def password_check_policy(password: str, *, user: User, field: str) -> None:
    """Django's password validators, reported as a 400 on `field`."""
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise ValidationError({field: exc.messages}, code="weak_password") from exc


def _email_taken() -> ValidationError:
    return ValidationError({"email": "An account with this e-mail address exists."}, code="email_taken")


@transaction.atomic
def user_register(*, email: str, password: str, display_name: str = "", request: Any = None) -> User:
    email = User.objects.normalize_email(email).lower()
    candidate = User(email=email, display_name=display_name)
    password_check_policy(password, user=candidate, field="password")
    pending = User.objects.select_for_update().filter(email__iexact=email).first()
    if pending is not None:
        if pending.email_verified:
            raise _email_taken()
        _pending_registration_replace(pending, request=request)
    try:
        with transaction.atomic():
            user = User.objects.create_user(email, password, display_name=display_name, email_verified=False)
    except IntegrityError as exc:  # a concurrent registration of the same address won
        raise _email_taken() from exc
    user.groups.add(*Group.objects.filter(name=Role.VIEWER))
    record("user.registered", actor=user, target=user, request=request)
    send_verification_email(user)
    return user


def _pending_registration_replace(pending: User, *, request: Any) -> None:
    """Whoever registered an address first does not own it until the mailbox proves it: a new
    registration replaces the unverified account, and with the row go its password and every token
    issued for it (they name its id)."""
    record("user.registration.replaced", target=pending, request=request)
    pending.delete()


@transaction.atomic
def user_verify_email(*, token: str, request: Any = None) -> User:
    user = email_verification_user(token)
    if user is None:
        raise InvalidTokenError("The verification token is invalid, used or expired.")
    user.email_verified = True
    user.save(update_fields=["email_verified"])
    record("user.email.verified", actor=user, target=user, request=request)
    return user


@transaction.atomic
def user_resend_verification(*, email: str) -> None:
    """Send the verification e-mail again, if `email` is an unverified account; silent otherwise."""
    user = User.objects.filter(email__iexact=email.strip(), is_active=True, email_verified=False).first()
    if user is not None:
        send_verification_email(user)


@transaction.atomic
def password_change(
    *, user: User, current_password: str, new_password: str, current_session_id: str | None, request: Any = None
) -> None:
    if not user.check_password(current_password):
        raise ValidationError({"current_password": ["The current password is wrong."]}, code="wrong_password")
    password_check_policy(new_password, user=user, field="new_password")
    user.set_password(new_password, keep_session_id=current_session_id)
    user.save(update_fields=["password"])  # ends the other sessions (User.set_password)
    record("auth.password.changed", actor=user, target=user, request=request)


@transaction.atomic
def password_reset_request(*, email: str, request: Any = None) -> None:
    """Mail a reset link if `email` is an active account; the caller learns nothing either way."""
    user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if user is not None:
        record("auth.password.reset_requested", target=user, request=request)
        send_password_reset_email(user)


@transaction.atomic
def password_reset_confirm(*, token: str, new_password: str, request: Any = None) -> User:
    user = password_reset_user(token)
    if user is None:
        raise InvalidTokenError("The reset token is invalid, used or expired.")
    password_check_policy(new_password, user=user, field="new_password")
    sessions_revoke_for_user(user=user, reason=RevocationReason.PASSWORD_RESET)  # before the save's own revocation
    user.set_password(new_password)
    user.email_verified = True  # the link reached the mailbox: the address is proven
    user.save(update_fields=["password", "email_verified"])
    record("auth.password.reset", actor=user, target=user, request=request)
    return user


@transaction.atomic
def user_update_profile(*, user: User, display_name: str, request: Any = None) -> User:
    old = user.display_name
    user.display_name = display_name
    user.full_clean(exclude=["password"])
    user.save(update_fields=["display_name"])
    if old != display_name:
        record(
            "user.profile.updated",
            actor=user,
            target=user,
            changes={"display_name": [old, display_name]},
            request=request,
        )
    return user


def user_guard_last_admin(*, user: User, role: str | None = None, is_active: bool | None = None) -> None:
    """409 when the change would leave no active administrator (nobody could manage accounts any more).
    Call inside the transaction of the change: the other administrators' rows are locked meanwhile."""
    stays_admin = (is_active if is_active is not None else user.is_active) and (
        (role if role is not None else user.role) == Role.ADMIN
    )
    if stays_admin or not User.objects.filter(pk=user.pk, is_active=True).filter(_ADMINS).exists():
        return
    others = User.objects.select_for_update().filter(_ADMINS, is_active=True).exclude(pk=user.pk)
    if not list(others.values_list("pk", flat=True)):
        raise ConflictError("This is the last administrator: name another one first.", code="last_admin")


_ADMINS = Q(role=Role.ADMIN) | Q(is_superuser=True)


@transaction.atomic
def user_set_role(*, user: User, role: str, actor: User | None = None, request: Any = None) -> User:
    """Give `user` the role `role`: the field, the matching group (other groups kept) and staff status.
    A superuser given another role stops being one: its role would otherwise say less than it may do."""
    user_guard_last_admin(user=user, role=role)
    old = user.role
    user.role = Role(role)
    if user.role != Role.ADMIN:
        user.is_superuser = False
    user.is_staff = user.role == Role.ADMIN or user.is_superuser
    user.save(update_fields=["role", "is_staff", "is_superuser"])
    user.groups.remove(*Group.objects.filter(name__in=Role.values).exclude(name=user.role))
    user.groups.add(*Group.objects.filter(name=user.role))
    if old != user.role:
        record("user.role.changed", actor=actor, target=user, changes={"role": [old, user.role]}, request=request)
    return user


@transaction.atomic
def user_set_active(*, user: User, is_active: bool, actor: User | None = None, request: Any = None) -> User:
    if user.is_active == is_active:
        return user
    user_guard_last_admin(user=user, is_active=is_active)
    user.is_active = is_active
    user.save(update_fields=["is_active"])
    if not is_active:
        sessions_revoke_for_user(user=user, reason=RevocationReason.DEACTIVATED)
    record(
        "user.activated" if is_active else "user.deactivated",
        actor=actor,
        target=user,
        changes={"is_active": [not is_active, is_active]},
        request=request,
    )
    return user


@transaction.atomic
def user_update(
    *, user: User, actor: User, role: str | None = None, is_active: bool | None = None, request: Any = None
) -> User:
    """An administrator's change of another account (API.md: role, is_active)."""
    if user.pk == actor.pk and (is_active is False or (role is not None and role != Role.ADMIN)):
        raise ConflictError("Administrators cannot demote or deactivate themselves.", code="self_demotion")
    if role is not None:
        user_set_role(user=user, role=role, actor=actor, request=request)
    if is_active is not None:
        user_set_active(user=user, is_active=is_active, actor=actor, request=request)
    return user
