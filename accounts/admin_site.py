"""The admin site: /admin/login/ is guarded like the API login (API.md, *Accounts: ... lifecycle*).

The same `auth` throttle bucket, the same lockout counters per (account, client ip) and per client ip, and
the same audit events (`metadata.channel = "admin"`), so the admin is no side door for password guessing.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from accounts.lockout import lockout_reset
from accounts.mfa import totp_enabled, verify_second_factor
from accounts.session_services import login_failed, login_refuse_if_locked
from audit.services import record
from core.errors import TooManyRequestsError
from core.net import client_ip
from core.throttles import AuthThrottle

CHANNEL = "admin"


class AdminLoginForm(AdminAuthenticationForm):
    """Django's admin login form; a wrong e-mail or password counts toward the lockout and is audited.

    With TOTP on, the password alone is not enough: `otp_token` (a TOTP or recovery code) is checked by
    accounts.mfa, under the same lockout as the API's second step.
    """

    otp_token = forms.CharField(
        label="Code", required=False, max_length=64, help_text="With two-factor authentication on: the 6-digit code."
    )

    def clean(self) -> dict[str, Any]:
        try:
            cleaned = super().clean()
        except ValidationError:
            # user_cache is None only when authenticate() refused the credentials; a right password of
            # an account that may not use the admin is not a guess (the message is the same either way).
            if self.user_cache is None:
                login_failed(email=self.cleaned_data.get("username") or "", request=self.request, channel=CHANNEL)
            raise
        if self.user_cache is not None and totp_enabled(self.user_cache):
            self._check_second_factor(self.user_cache)
        if self.user_cache is not None:
            lockout_reset(email=self.user_cache.get_username(), ip=client_ip(self.request))
            record(
                "auth.login.succeeded",
                actor=self.user_cache,
                target=self.user_cache,
                metadata={"channel": CHANNEL},
                request=self.request,
            )
        return cleaned

    def _check_second_factor(self, user: Any) -> None:
        code = (self.cleaned_data.get("otp_token") or "").strip()
        refused = ValidationError("Enter a valid code of your second factor.", code="invalid_code")
        if not code:
            raise refused
        try:
            verified = verify_second_factor(user=user, code=code, request=self.request)
        except TooManyRequestsError as locked:
            raise ValidationError(locked.detail, code="login_locked") from locked
        if not verified:
            raise refused


class _AuthScope:
    throttle_scope = "auth"  # the API's auth endpoints' bucket (accounts.views)


def _refusal(request: HttpRequest) -> TooManyRequestsError | None:
    """Why a login POST is refused before its password is even checked: throttled, or locked out."""
    throttle = AuthThrottle()
    if not throttle.allow_request(request, _AuthScope()):
        return TooManyRequestsError("Too many requests.", retry_after=int(throttle.wait() or 1), code="throttled")
    try:
        login_refuse_if_locked(email=request.POST.get("username", ""), request=request)
    except TooManyRequestsError as refused:
        return refused
    return None


class ProjectAdminSite(admin.AdminSite):
    """The default admin site (accounts.admin_config); extend `login_form` / `login()` here."""

    login_form = AdminLoginForm
    login_template = "admin/login_otp.html"

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        if request.method == "POST":
            refused = _refusal(request)
            if refused is not None:
                response = TemplateResponse(
                    request,
                    "admin/login_refused.html",
                    {**self.each_context(request), "title": "Log in", "detail": refused.detail},
                    status=refused.status_code,
                )
                for header, value in refused.headers.items():
                    response[header] = value
                return response
        return super().login(request, extra_context)
