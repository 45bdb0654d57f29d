"""Accounts' reads, already scoped to what the caller may see."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Passkey, RecoveryCode, TOTPDevice, User, UserSession


def session_list_live_for_user(*, user: User) -> QuerySet[UserSession]:
    """The user's sessions that can still be used: not revoked, not past their cap, refresh not expired."""
    now = timezone.now()
    return UserSession.objects.filter(
        user=user,
        revoked_at__isnull=True,
        expires_at__gt=now,
        last_used_at__gt=now - timedelta(seconds=settings.JWT_REFRESH_TTL),
    ).order_by("-created_at")


def user_list() -> QuerySet[User]:
    """Every account; only administrators reach it (accounts.view_user)."""
    return User.objects.order_by("email")


def totp_enabled(user: User) -> bool:
    """Whether `user` has a confirmed TOTP device (then a password alone signs in nowhere)."""
    return bool(user.pk) and TOTPDevice.objects.filter(user_id=user.pk, confirmed_at__isnull=False).exists()


def mfa_status(user: User) -> dict[str, Any]:
    return {
        "totp": totp_enabled(user),
        "passkeys": Passkey.objects.filter(user_id=user.pk).count(),
        "recovery_codes_left": RecoveryCode.objects.filter(user_id=user.pk, used_at__isnull=True).count(),
    }
