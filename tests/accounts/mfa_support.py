"""Helpers of the second-factor tests: a user with TOTP on, codes of chosen steps."""

from __future__ import annotations

from dataclasses import dataclass

import pyotp
from django.utils import timezone

from accounts.mfa import _new_recovery_codes
from accounts.models import TOTPDevice, User
from configurations.crypto import encrypt_value
from tests.accounts.factories import DEFAULT_PASSWORD
from tests.support.auth import TOKEN_URL
from tests.support.contract import ContractAPIClient

MFA_VERIFY_URL = "/api/v1/auth/mfa/verify/"


@dataclass
class TotpUser:
    user: User
    secret: str
    recovery_codes: list[str]

    def code(self, steps_ahead: int = 0) -> str:
        """The code of the current 30 s step, or of one `steps_ahead` (inside the accepted window: 1)."""
        totp = pyotp.TOTP(self.secret)
        return totp.generate_otp(totp.timecode(timezone.now()) + steps_ahead)


def enable_totp(user: User) -> TotpUser:
    secret = pyotp.random_base32()
    TOTPDevice.objects.create(user=user, secret_encrypted=encrypt_value(secret), confirmed_at=timezone.now())
    return TotpUser(user=user, secret=secret, recovery_codes=_new_recovery_codes(user))


def mfa_token(user: User, client: ContractAPIClient | None = None, **extra) -> str:
    response = (client or ContractAPIClient()).post(
        TOKEN_URL, {"email": user.email, "password": DEFAULT_PASSWORD}, **extra
    )
    assert response.status_code == 401, response.content
    assert response.json()["code"] == "mfa_required"
    return response.json()["mfa_token"]
