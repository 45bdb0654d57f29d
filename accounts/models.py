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


class RevocationReason(models.TextChoices):
    LOGOUT = "logout", "Logout"
    LOGOUT_ALL = "logout_all", "Logout everywhere"
    REVOKED = "revoked", "Revoked"
    TOKEN_REUSE = "token_reuse", "Refresh token reused"
    PASSWORD_CHANGED = "password_changed", "Password changed"
    PASSWORD_RESET = "password_reset", "Password reset"
    DEACTIVATED = "deactivated", "Account deactivated"
    MFA_DISABLED = "mfa_disabled", "Second factor disabled or reset"
    ACCOUNT_DELETED = "account_deleted", "Account deleted"


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
    revoked_reason = models.CharField(max_length=32, blank=True, choices=RevocationReason.choices)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "revoked_at"], name="accounts_session_user_live")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.created_at:%Y-%m-%d %H:%M}"


class TOTPDevice(models.Model):
    """A user's authenticator app (RFC 6238). The seed is Fernet-encrypted (CONFIG_ENCRYPTION_KEYS).

    `confirmed_at` is empty while the enrolment waits for its first code: an unconfirmed device does not
    guard logins. `last_step` is the 30-second step of the last accepted code, so a code works once.
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="totp_device")
    secret_encrypted = models.TextField(editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_step = models.BigIntegerField(default=0, editable=False)

    def __str__(self) -> str:
        return f"TOTP of {self.user}"


class RecoveryCode(models.Model):
    """One single-use recovery code; only its SHA-256 is kept (the code itself carries 50 random bits)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "code_hash"], name="accounts_recovery_lookup")]

    def __str__(self) -> str:
        return f"recovery code of {self.user}"


class MfaLoginToken(models.Model):
    """The second step of a login: issued after the right password, good for MFA_TOKEN_TTL, used once.

    Kept in the database (by SHA-256), so any instance accepts it.
    """

    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"MFA login of {self.user}"


class Passkey(models.Model):
    """A WebAuthn credential registered by a user."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="passkeys")
    name = models.CharField(max_length=100)
    credential_id = models.BinaryField(max_length=1023, unique=True, editable=False)
    public_key = models.BinaryField(editable=False)
    sign_count = models.BigIntegerField(default=0)
    transports = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"


class WebAuthnChallenge(models.Model):
    """A challenge handed to a browser, used at most once. Looked up by the SHA-256 of the challenge the
    client signed, so a discoverable login (no e-mail, no session) finds it too."""

    class Purpose(models.TextChoices):
        REGISTRATION = "registration"
        AUTHENTICATION = "authentication"

    challenge_hash = models.CharField(max_length=64, unique=True, editable=False)
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.purpose} challenge"
