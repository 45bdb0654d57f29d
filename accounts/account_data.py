"""What an account holds: its export (GDPR art. 20) and its deletion (art. 17).

Deletion keeps the row, anonymised and unusable, so the audit trail's events still name a user id
that exists and means nothing; files, downloads and uploads go through their apps' services.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction

from accounts.mfa import _factors_remove, check_password, require_second_factor
from accounts.models import Passkey, RevocationReason, User, UserSession
from accounts.selectors import totp_enabled
from accounts.session_services import sessions_revoke_for_user
from audit.models import AuditEvent
from audit.services import record
from downloads.services import download_delete, file_delete
from uploads.services import upload_terminate

ERASED_DOMAIN = "deleted.invalid"  # RFC 2606: never deliverable


def account_export(*, user: User, request: Any = None) -> dict[str, Any]:
    """The account's data as plain objects: profile, sessions, passkeys (by name), files (metadata) and
    the audit events it caused. Serialised by the view."""
    data = {
        "profile": user,
        "sessions": UserSession.objects.filter(user_id=user.pk).order_by("-created_at"),
        "passkeys": Passkey.objects.filter(user_id=user.pk).order_by("created_at"),
        "files": user.files.order_by("-created_at"),
        "audit_events": AuditEvent.objects.filter(actor=str(user.pk), actor_type="user").order_by("id"),
    }
    record("user.exported", actor=user, target=user, request=request)
    return data


def account_delete(*, user: User, password: str, code: str | None, request: Any = None) -> None:
    """Erase the account after a re-authentication (password, and a code when TOTP is on)."""
    check_password(user, password)
    if totp_enabled(user):
        require_second_factor(user=user, code=code or "", request=request)
    with transaction.atomic():
        for upload in list(user.uploads.all()):
            upload_terminate(upload=upload, request=request)
        for download in list(user.downloads.all()):
            download_delete(download=download)
        for file in list(user.files.all()):
            file_delete(file=file, request=request)
        _factors_remove(user)
        Passkey.objects.filter(user_id=user.pk).delete()
        sessions_revoke_for_user(user=user, reason=RevocationReason.ACCOUNT_DELETED)
        _erase(user)
        record("user.deleted", actor=user, target=user, request=request)


def _erase(user: User) -> None:
    # No audit event holds the old address or name: `user.deleted` (above) names the user by id only.
    User.objects.filter(pk=user.pk).update(
        email=f"{uuid.UUID(str(user.pk)).hex}@{ERASED_DOMAIN}",
        display_name="",
        password=make_password(None),
        is_active=False,
        is_staff=False,
        is_superuser=False,
        email_verified=False,
    )
    user.refresh_from_db()
