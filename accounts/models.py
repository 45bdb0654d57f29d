from __future__ import annotations

import uuid

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.managers import UserManager
from accounts.roles import Role


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with an e-mail address."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField("e-mail address", max_length=254, unique=True)
    display_name = models.CharField(max_length=150, blank=True)
    email_verified = models.BooleanField(default=False)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]
        constraints = [models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique")]

    def __str__(self) -> str:
        return self.email

    def set_password(self, raw_password: str | None, *, keep_session_id: object = None) -> None:
        """Set the hash; saving it then ends every login session but `keep_session_id` (accounts.apps),
        whichever path set it: the API, the admin's password form, `changepassword`, a shell."""
        super().set_password(raw_password)
        self._keep_session_id = keep_session_id

    def set_unusable_password(self) -> None:
        super().set_unusable_password()
        self._password_disabled = True

    def pop_password_change(self) -> tuple[bool, object]:
        """(whether the row being saved holds a new password, the session to keep); clears the marks.

        Django keeps the raw password in `_password` from set_password() until the save has passed it to
        the validators' password_changed(); the hash upgrade at login clears it first: no change."""
        changed = self._password is not None or getattr(self, "_password_disabled", False)
        keep = getattr(self, "_keep_session_id", None)
        self._password_disabled, self._keep_session_id = False, None
        return changed, keep


class UserSession(models.Model):
    """A login: the server-side record every JWT of that login points to (claim `sid`).

    `refresh_jti` names the one refresh token of the session that may still be used; any older one
    presented again is a stolen token, and revokes the session.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sessions")
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(help_text="Absolute end of the session, whatever the refreshes.")
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    refresh_jti = models.CharField(max_length=64, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "revoked_at"], name="accounts_session_user_live")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.created_at:%Y-%m-%d %H:%M}"
