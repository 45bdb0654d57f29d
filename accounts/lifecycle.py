"""An account's life after registration: expiry of unverified accounts, e-mail change, export, deletion."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.emails import send_email_change_confirmation, send_email_changed_notice
from accounts.mfa import check_password, field_error
from accounts.models import User
from accounts.services import InvalidTokenError
from accounts.tokens import email_change_target
from audit.services import record
from core.errors import ValidationError


def users_remove_unverified_expired() -> int:
    """Delete accounts still unverified EMAIL_VERIFICATION_TIMEOUT after registering; returns how many.

    Their verification link has expired, so nobody can claim them any more; removing them frees the
    address. Idempotent: a second run finds nothing.
    """
    cutoff = timezone.now() - timedelta(seconds=settings.EMAIL_VERIFICATION_TIMEOUT)
    removed = 0
    for user in User.objects.filter(email_verified=False, date_joined__lt=cutoff, last_login__isnull=True):
        with transaction.atomic():
            record("user.unverified.removed", target=user, request=None)
            user.delete()
        removed += 1
    return removed


def _address_in_use(email: str, *, exclude: User) -> bool:
    # An unverified account does not own its address (see accounts.services.user_register).
    return User.objects.filter(email__iexact=email, email_verified=True).exclude(pk=exclude.pk).exists()


def _email_taken() -> ValidationError:
    return field_error("new_email", "An account with this e-mail address exists.", "email_taken")


@transaction.atomic
def email_change_request(*, user: User, new_email: str, password: str, request: Any = None) -> None:
    """Mail a confirmation link to `new_email`; nothing changes until it is opened."""
    check_password(user, password)
    new_email = User.objects.normalize_email(new_email).lower()
    if new_email == user.email.lower() or _address_in_use(new_email, exclude=user):
        raise _email_taken()
    record("user.email.change_requested", actor=user, target=user, request=request)
    send_email_change_confirmation(user, new_email)


@transaction.atomic
def email_change_confirm(*, user: User, token: str, request: Any = None) -> User:
    """Move the caller to the address of `token` (theirs, live, unused); the old address gets a notice."""
    target = email_change_target(token)
    if target is None or str(target[0].pk) != str(user.pk):
        raise InvalidTokenError("The e-mail change token is invalid, used or expired.")
    user, new_email = User.objects.select_for_update().get(pk=user.pk), target[1]
    if _address_in_use(new_email, exclude=user):
        raise _email_taken()
    for pending in User.objects.filter(email__iexact=new_email, email_verified=False).exclude(pk=user.pk):
        record("user.registration.replaced", target=pending, request=request)
        pending.delete()
    old_email = user.email
    user.email, user.email_verified = new_email, True  # the link reached the new mailbox
    user.save(update_fields=["email", "email_verified"])
    record("user.email.changed", actor=user, target=user, request=request)
    send_email_changed_notice(user, old_email)
    return user
