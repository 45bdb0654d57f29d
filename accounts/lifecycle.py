"""An account's life after registration: expiry of unverified accounts, e-mail change, export, deletion."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from audit.services import record


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
