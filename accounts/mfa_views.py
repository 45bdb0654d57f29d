"""Second-factor API (API.md *Accounts: second factor*): thin views over accounts.mfa."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import serializers as s
from accounts.mfa import mfa_login_verify, recovery_codes_regenerate, totp_begin, totp_confirm, totp_disable
from accounts.selectors import mfa_status
from accounts.views import (
    CACHE_DOWN,
    PUBLIC_AUTH,
    AuthEndpoint,
    PublicAuthEndpoint,
    _token_response,
    _validated,
    current_session_id,
)
from core.schema import problem

NOT_ON = problem("TOTP is not on (`totp_not_enabled`).")
CODES_SHOWN_ONCE = {"Cache-Control": "no-store"}


class MfaStatusView(AuthEndpoint):
    @extend_schema(tags=["mfa"], responses={200: s.AccountMfaStatusOutputSerializer})
    def get(self, request: Request) -> Response:
        return Response(mfa_status(request.user))


class TotpEnrolView(AuthEndpoint):
    @extend_schema(
        tags=["mfa"],
        request=s.AccountPasswordInputSerializer,
        responses={
            201: s.AccountTotpEnrolmentOutputSerializer,
            400: problem("Wrong password (`wrong_password`)."),
            409: problem("TOTP is already on (`totp_already_enabled`)."),
        },
    )
    def post(self, request: Request) -> Response:
        data = _validated(s.AccountPasswordInputSerializer, request)
        secret, uri = totp_begin(user=request.user, password=data["password"], request=request)
        return Response(
            {"secret": secret, "otpauth_uri": uri}, status=status.HTTP_201_CREATED, headers=CODES_SHOWN_ONCE
        )


class TotpConfirmView(AuthEndpoint):
    @extend_schema(
        tags=["mfa"],
        request=s.AccountCodeInputSerializer,
        responses={
            200: s.AccountRecoveryCodesOutputSerializer,
            400: problem("Wrong or expired code (`invalid_code`)."),
            409: problem("No enrolment is pending (`totp_not_pending`)."),
        },
    )
    def post(self, request: Request) -> Response:
        codes = totp_confirm(user=request.user, request=request, **_validated(s.AccountCodeInputSerializer, request))
        return Response({"recovery_codes": codes}, headers=CODES_SHOWN_ONCE)


class TotpDisableView(AuthEndpoint):
    @extend_schema(
        tags=["mfa"],
        request=s.AccountPasswordCodeInputSerializer,
        responses={
            204: None,
            400: problem("Wrong password (`wrong_password`) or code (`invalid_code`)."),
            409: NOT_ON,
            503: CACHE_DOWN,
        },
    )
    def post(self, request: Request) -> Response:
        data = _validated(s.AccountPasswordCodeInputSerializer, request)
        totp_disable(user=request.user, current_session_id=current_session_id(request), request=request, **data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RecoveryCodesView(AuthEndpoint):
    @extend_schema(
        tags=["mfa"],
        request=s.AccountPasswordInputSerializer,
        responses={
            201: s.AccountRecoveryCodesOutputSerializer,
            400: problem("Wrong password (`wrong_password`)."),
            409: NOT_ON,
        },
    )
    def post(self, request: Request) -> Response:
        data = _validated(s.AccountPasswordInputSerializer, request)
        codes = recovery_codes_regenerate(user=request.user, password=data["password"], request=request)
        return Response({"recovery_codes": codes}, status=status.HTTP_201_CREATED, headers=CODES_SHOWN_ONCE)


class MfaVerifyView(PublicAuthEndpoint):
    @extend_schema(
        tags=["auth"],
        auth=PUBLIC_AUTH,
        request=s.AccountMfaVerifyInputSerializer,
        responses={
            200: s.AccountTokenPairOutputSerializer,
            401: problem(
                "Wrong, expired or already used code (`invalid_code`; counts toward the lockout), or an invalid, "
                "used or expired `mfa_token` (`invalid_mfa_token`)."
            ),
            429: problem("Locked out after too many failures (`login_locked`), or throttled."),
            503: CACHE_DOWN,
        },
    )
    def post(self, request: Request) -> Response:
        return _token_response(
            mfa_login_verify(**_validated(s.AccountMfaVerifyInputSerializer, request), request=request)
        )
