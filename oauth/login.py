"""The browser login of the authorization endpoint (/o/login/): the API login's rules on a web form.

E-mail and password are checked with the same lockout, counters and audit as /api/v1/auth/token/
(channel "oauth"); with TOTP on, the password alone opens nothing: the second step takes the code through
accounts.mfa, which counts a wrong code toward the same lockout. Success is a Django session (the cookie
the authorization endpoint needs), never a token.
"""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth import authenticate, login

from accounts.lockout import lockout_reset
from accounts.mfa import verify_second_factor
from accounts.models import User
from accounts.selectors import totp_enabled
from accounts.session_services import login_failed, login_refuse_if_locked
from audit.services import record
from core.errors import ApplicationError, PermissionDeniedError
from core.net import client_ip

CHANNEL = "oauth"
PENDING_KEY = "oauth_login_pending"
PENDING_SECONDS = 300


class LoginRefusedError(ApplicationError):
    status_code = 401
    code = "invalid_credentials"


def password_check(*, email: str, password: str, request: Any) -> User:
    """The user whose e-mail and password these are, or an ApplicationError (401, 403, 429)."""
    login_refuse_if_locked(email=email, request=request)
    user = authenticate(request, email=email, password=password)
    if user is None:
        login_failed(email=email, request=request, channel=CHANNEL)
        raise LoginRefusedError("Invalid e-mail or password.")
    if not user.email_verified:
        raise PermissionDeniedError("Confirm your e-mail address first.", code="email_not_verified")
    return user


def second_factor_required(user: User) -> bool:
    return totp_enabled(user)


def second_factor_check(*, user: User, code: str, request: Any) -> None:
    if not verify_second_factor(user=user, code=code, request=request):
        raise LoginRefusedError("The code is not right.", code="invalid_code")


def pending_set(request: Any, user: User) -> None:
    request.session[PENDING_KEY] = {"user": str(user.pk), "until": time.time() + PENDING_SECONDS}


def pending_user(request: Any) -> User | None:
    """The user who passed the password step in this browser session less than 5 minutes ago."""
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict) or pending.get("until", 0) < time.time():
        return None
    return User.objects.filter(pk=pending.get("user"), is_active=True).first()


def login_complete(*, user: User, request: Any) -> None:
    request.session.pop(PENDING_KEY, None)
    lockout_reset(email=user.email, ip=client_ip(request))
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    record("auth.login.succeeded", actor=user, target=user, metadata={"channel": CHANNEL}, request=request)
