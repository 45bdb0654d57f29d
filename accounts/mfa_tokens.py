"""The `mfa_token` of a two-step login: proof of the right password, waiting for the second factor.

Stored in the database by its SHA-256 (never the token itself), so any instance accepts it; good for
MFA_TOKEN_TTL seconds and spent by the first successful second step.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from accounts.models import MfaLoginToken, User
from core.errors import ApplicationError

MFA_METHODS = ["totp", "recovery_code"]


class MfaRequiredError(ApplicationError):
    """401 `mfa_required`: the password was right; finish at /auth/mfa/verify/ with `mfa_token`."""

    status_code = 401
    code = "mfa_required"
    title = "Second factor required"

    def __init__(self, *, mfa_token: str):
        super().__init__(
            "The password is right; now send a code of your second factor to /api/v1/auth/mfa/verify/.",
            extensions={"mfa_token": mfa_token, "methods": MFA_METHODS, "expires_in": settings.MFA_TOKEN_TTL},
        )


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def mfa_token_issue(user: User) -> str:
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    MfaLoginToken.objects.filter(expires_at__lt=now).delete()  # housekeeping: a handful of stale rows at most
    MfaLoginToken.objects.create(
        token_hash=_hash(token), user=user, expires_at=now + timedelta(seconds=settings.MFA_TOKEN_TTL)
    )
    return token


def mfa_token_lock(token: str) -> MfaLoginToken | None:
    """The live, unused token row, locked until the transaction ends (call inside one); None otherwise."""
    return (
        MfaLoginToken.objects.select_for_update()
        .select_related("user")
        .filter(token_hash=_hash(token), used_at__isnull=True, expires_at__gt=timezone.now(), user__is_active=True)
        .first()
    )
