"""Second-factor API (API.md *Accounts: second factor*): thin views over accounts.mfa."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import serializers as s
from accounts.mfa import mfa_login_verify, recovery_codes_regenerate, totp_begin, totp_confirm, totp_disable
from accounts.permissions import AnonymousPost
from accounts.selectors import mfa_status
from accounts.views import CACHE_DOWN, PUBLIC_AUTH, _token_response, current_session_id
from core.schema import problem
from core.throttles import AuthThrottle
from core.views import ApiViewSet, validated

NOT_ON = problem("TOTP is not on (`totp_not_enabled`).")
CODES_SHOWN_ONCE = {"Cache-Control": "no-store"}


class MfaViewSet(ApiViewSet):
    """The caller's second factor under /auth/mfa/ (the `auth` throttle scope); `verify`, the second step of
    a login, is public."""

    throttle_classes = [AuthThrottle]
    throttle_scope = "auth"

    def get_permissions(self) -> list:
        return [AnonymousPost()] if self.action == "verify" else [IsAuthenticated()]

    @extend_schema(tags=["mfa"], responses={200: s.AccountMfaStatusOutputSerializer})
    @action(detail=False, methods=["get"], url_path="mfa")
    def summary(self, request: Request) -> Response:
        return Response(mfa_status(request.user))

    @extend_schema(
        tags=["mfa"],
        request=s.AccountPasswordInputSerializer,
        responses={
            201: s.AccountTotpEnrolmentOutputSerializer,
            400: problem("Wrong password (`wrong_password`)."),
            409: problem("TOTP is already on (`totp_already_enabled`)."),
        },
    )
    @action(detail=False, methods=["post"], url_path="mfa/totp")
    def totp(self, request: Request) -> Response:
        data = validated(s.AccountPasswordInputSerializer, request)
        secret, uri = totp_begin(user=request.user, password=data["password"], request=request)
        return Response(
            {"secret": secret, "otpauth_uri": uri}, status=status.HTTP_201_CREATED, headers=CODES_SHOWN_ONCE
        )

    @extend_schema(
        tags=["mfa"],
        request=s.AccountCodeInputSerializer,
        responses={
            200: s.AccountRecoveryCodesOutputSerializer,
            400: problem("Wrong or expired code (`invalid_code`)."),
            409: problem("No enrolment is pending (`totp_not_pending`)."),
        },
    )
    @action(detail=False, methods=["post"], url_path="mfa/totp/confirm")
    def totp_confirm(self, request: Request) -> Response:
        codes = totp_confirm(user=request.user, request=request, **validated(s.AccountCodeInputSerializer, request))
        return Response({"recovery_codes": codes}, headers=CODES_SHOWN_ONCE)

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
    @action(detail=False, methods=["post"], url_path="mfa/totp/disable")
    def totp_disable(self, request: Request) -> Response:
        data = validated(s.AccountPasswordCodeInputSerializer, request)
        totp_disable(user=request.user, current_session_id=current_session_id(request), request=request, **data)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        tags=["mfa"],
        request=s.AccountPasswordInputSerializer,
        responses={
            201: s.AccountRecoveryCodesOutputSerializer,
            400: problem("Wrong password (`wrong_password`)."),
            409: NOT_ON,
        },
    )
    @action(detail=False, methods=["post"], url_path="mfa/recovery-codes")
    def recovery_codes(self, request: Request) -> Response:
        data = validated(s.AccountPasswordInputSerializer, request)
        codes = recovery_codes_regenerate(user=request.user, password=data["password"], request=request)
        return Response({"recovery_codes": codes}, status=status.HTTP_201_CREATED, headers=CODES_SHOWN_ONCE)

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
            429: problem("Locked out after too many failures, or throttled (`throttled`, with Retry-After)."),
            503: CACHE_DOWN,
        },
    )
    @action(detail=False, methods=["post"], url_path="mfa/verify")
    def verify(self, request: Request) -> Response:
        return _token_response(
            mfa_login_verify(**validated(s.AccountMfaVerifyInputSerializer, request), request=request)
        )
