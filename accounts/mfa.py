"""Second factor: TOTP (RFC 6238: SHA-1, 6 digits, 30 s) and single-use recovery codes.

The public interface for every login channel (API, admin, the OAuth login form):
`totp_enabled(user)` and `verify_second_factor(user=, code=, request=)`. pyotp computes the codes; the
device row (seed Fernet-encrypted with configurations.crypto, the project's one encryption at rest)
remembers the step of the last accepted code, so a code works once even within its window.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

import pyotp
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.lockout import lockout_register_failure, lockout_reset
from accounts.mfa_tokens import mfa_token_lock
from accounts.models import Passkey, RecoveryCode, RevocationReason, TOTPDevice, User
from accounts.selectors import totp_enabled
from accounts.session_services import login_refuse_if_locked, session_open, sessions_revoke_for_user
from accounts.tokens import TokenPair
from audit.services import record
from configurations.crypto import decrypt_value, encrypt_value
from core.errors import AuthenticationError, ConflictError, ValidationError
from core.net import client_ip

RECOVERY_CODE_COUNT = 10
TOTP_DIGITS = 6
TOTP_INTERVAL = 30
# One step either side: the phone's clock may be a little off, and a code typed at the end of its 30 s.
TOTP_VALID_WINDOW = 1
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper


def field_error(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: message}, code=code)


def check_password(user: User, password: str) -> None:
    """A re-authentication before a sensitive change: the wrong password is a 400 on `password`."""
    if not user.check_password(password):
        raise field_error("password", "The password is wrong.", "wrong_password")


def _device(user: User, *, confirmed: bool | None = True, lock: bool = False) -> TOTPDevice | None:
    devices = TOTPDevice.objects.filter(user_id=user.pk)
    if lock:
        devices = devices.select_for_update()
    if confirmed is not None:
        devices = devices.filter(confirmed_at__isnull=not confirmed)
    return devices.first()


def _totp(device: TOTPDevice) -> pyotp.TOTP:
    return pyotp.TOTP(decrypt_value(device.secret_encrypted), digits=TOTP_DIGITS, interval=TOTP_INTERVAL)


def _matching_step(device: TOTPDevice, code: str) -> int | None:
    """The step of `code` within the window that is newer than the last accepted one, else None. Compared as
    bytes: compare_digest raises on a str with non-ASCII characters (a 500 for a typed "é")."""
    totp = _totp(device)
    now_step = totp.timecode(timezone.now())
    for step in range(now_step - TOTP_VALID_WINDOW, now_step + TOTP_VALID_WINDOW + 1):
        if step > device.last_step and hmac.compare_digest(totp.generate_otp(step).encode(), code.encode()):
            return step
    return None


def _normalize_recovery(code: str) -> str:
    return "".join(code.lower().split()).replace("-", "")


def _recovery_hash(code: str) -> str:
    return hashlib.sha256(_normalize_recovery(code).encode()).hexdigest()


def _new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes with a fresh set; returns the codes (shown once, never stored)."""
    RecoveryCode.objects.filter(user_id=user.pk).delete()
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    RecoveryCode.objects.bulk_create([RecoveryCode(user_id=user.pk, code_hash=_recovery_hash(code)) for code in codes])
    return codes


@transaction.atomic
def consume_second_factor(*, user: User, code: str, request: Any = None) -> str | None:
    """Use `code` (a TOTP code or a recovery code) once; returns the method that matched, or None.

    The device row is locked, so of two concurrent uses of one code exactly one succeeds.
    """
    device = _device(user, lock=True)
    if device is None:
        return None
    code = code.strip()
    if len(code) == TOTP_DIGITS and code.isdigit():
        step = _matching_step(device, code)
        if step is None:
            return None
        device.last_step = step
        device.save(update_fields=["last_step"])
        return "totp"
    used = RecoveryCode.objects.filter(user_id=user.pk, code_hash=_recovery_hash(code), used_at__isnull=True).update(
        used_at=timezone.now()
    )
    if not used:
        return None
    left = RecoveryCode.objects.filter(user_id=user.pk, used_at__isnull=True).count()
    record("auth.mfa.recovery_code.used", actor=user, target=user, metadata={"remaining": left}, request=request)
    return "recovery_code"


def verify_second_factor(*, user: User, code: str, request: Any) -> bool:
    """Check a second-factor code of `user` at login, under the login lockout of (e-mail, client ip).

    Raises TooManyRequestsError (429) while the pair or ip is locked. A wrong code counts as a failed login
    (and is audited as `auth.mfa.failed`); a right one clears the pair's counter.
    TOTP codes and recovery codes are consumed: each works once.
    """
    ip = client_ip(request)
    login_refuse_if_locked(email=user.email, request=request)
    method = consume_second_factor(user=user, code=code, request=request)
    if method is None:
        _second_factor_failed(user=user, ip=ip, request=request)
        return False
    lockout_reset(email=user.email, ip=ip)
    return True


@transaction.atomic
def _second_factor_failed(*, user: User, ip: str, request: Any) -> None:
    record("auth.mfa.failed", actor=user, target=user, request=request)
    for scope in lockout_register_failure(email=user.email, ip=ip):
        record(
            "auth.lockout",
            target=user if scope == "account" else None,
            metadata={"scope": scope, "window_seconds": settings.LOCKOUT_WINDOW},
            request=request,
        )


@transaction.atomic
def totp_begin(*, user: User, password: str, request: Any = None) -> tuple[str, str]:
    """Start (or restart) an enrolment: a new seed, pending until a code confirms it."""
    check_password(user, password)
    if totp_enabled(user):
        raise ConflictError("TOTP is already on; disable it first.", code="totp_already_enabled")
    secret = pyotp.random_base32()
    TOTPDevice.objects.filter(user_id=user.pk).delete()
    TOTPDevice.objects.create(user_id=user.pk, secret_encrypted=encrypt_value(secret))
    uri = pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_INTERVAL).provisioning_uri(
        name=user.email, issuer_name=settings.WEBAUTHN_RP_NAME
    )
    record("auth.mfa.totp.enrolment_started", actor=user, target=user, request=request)
    return secret, uri


@transaction.atomic
def totp_confirm(*, user: User, code: str, request: Any = None) -> list[str]:
    """The first code proves the app holds the seed: TOTP goes on; returns the first recovery codes."""
    device = _device(user, confirmed=False, lock=True)
    if device is None:
        raise ConflictError("No TOTP enrolment is pending.", code="totp_not_pending")
    step = _matching_step(device, code.strip())
    if step is None:
        raise field_error("code", "The code is wrong or expired.", "invalid_code")
    device.confirmed_at = timezone.now()
    device.last_step = step
    device.save(update_fields=["confirmed_at", "last_step"])
    codes = _new_recovery_codes(user)
    record("auth.mfa.totp.enabled", actor=user, target=user, request=request)
    return codes


def require_second_factor(*, user: User, code: str, request: Any) -> None:
    """For a sensitive change by a signed-in user with TOTP on: a wrong code is a 400 on `code`."""
    if not verify_second_factor(user=user, code=code, request=request):
        raise field_error("code", "The code is wrong, expired or used.", "invalid_code")


def totp_disable(*, user: User, password: str, code: str, current_session_id: str | None, request: Any) -> None:
    check_password(user, password)
    if not totp_enabled(user):
        raise ConflictError("TOTP is not on.", code="totp_not_enabled")
    require_second_factor(user=user, code=code, request=request)
    with transaction.atomic():
        _factors_remove(user)
        sessions_revoke_for_user(user=user, reason=RevocationReason.MFA_DISABLED, keep_session_id=current_session_id)
        record("auth.mfa.totp.disabled", actor=user, target=user, request=request)


def _factors_remove(user: User) -> None:
    TOTPDevice.objects.filter(user_id=user.pk).delete()
    RecoveryCode.objects.filter(user_id=user.pk).delete()


@transaction.atomic
def recovery_codes_regenerate(*, user: User, password: str, request: Any = None) -> list[str]:
    check_password(user, password)
    if not totp_enabled(user):
        raise ConflictError("Recovery codes come with TOTP, which is not on.", code="totp_not_enabled")
    codes = _new_recovery_codes(user)
    record("auth.mfa.recovery_codes.regenerated", actor=user, target=user, request=request)
    return codes


@transaction.atomic
def mfa_reset(*, user: User, actor: User | None, request: Any = None) -> None:
    """An administrator's reset of every second factor of `user` (lost phone): TOTP, codes, passkeys."""
    passkeys = Passkey.objects.filter(user_id=user.pk).count()
    _factors_remove(user)
    Passkey.objects.filter(user_id=user.pk).delete()
    sessions_revoke_for_user(user=user, reason=RevocationReason.MFA_DISABLED)
    record("auth.mfa.reset", actor=actor, target=user, metadata={"passkeys_removed": passkeys}, request=request)


def mfa_login_verify(*, mfa_token: str, code: str, request: Any) -> TokenPair:
    """The second step of a login: a live `mfa_token` and a right code open the session.

    The token row stays locked while the code is checked, so one token opens at most one session; a
    wrong code leaves the token usable (until it expires) and counts toward the lockout.
    """
    with transaction.atomic():
        row = mfa_token_lock(mfa_token)
        if row is None:
            raise AuthenticationError("The mfa_token is invalid, used or expired.", code="invalid_mfa_token")
        if verify_second_factor(user=row.user, code=code, request=request):
            row.used_at = timezone.now()
            row.save(update_fields=["used_at"])
            return session_open(user=row.user, request=request)
    raise AuthenticationError("The code is wrong, expired or already used.", code="invalid_code")
