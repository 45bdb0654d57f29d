"""Accounts API (API.md *Accounts*): thin views over accounts.services / session_services / selectors."""

from __future__ import annotations

import uuid
from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token

from accounts import serializers as s
from accounts.models import UserSession
from accounts.permissions import AnonymousPost
from accounts.selectors import session_list_live_for_user, user_list
from accounts.services import (
    password_change,
    password_reset_confirm,
    password_reset_request,
    user_register,
    user_resend_verification,
    user_update,
    user_update_profile,
    user_verify_email,
)
from accounts.session_services import auth_login, session_logout, session_logout_all, session_refresh, session_revoke
from accounts.tokens import SESSION_CLAIM, TokenPair
from core.permissions import PUBLIC, ActionPermission
from core.problems import PROBLEM_CONTENT_TYPE
from core.schema import problem
from core.throttles import AuthThrottle
from core.views import ApiViewSet, validated

ACCEPTED = "If the address belongs to an account, an e-mail is on its way."
# Public endpoints: no credentials needed, but a presented Bearer token is still checked (a bad one is 401).
PUBLIC_AUTH = [{"bearerAuth": []}, {}]
TOKEN_TYPE = api_settings.AUTH_HEADER_TYPES[0]
CACHE_DOWN = problem(
    "The shared cache is unreachable (`cache_unavailable`): nothing was changed; retry after Retry-After."
)
NO_STORE = {"Cache-Control": "no-store"}  # RFC 6749 §5.1: token responses must not be cached


def current_session_id(request: Request) -> str | None:
    """The session of the request's access token; None for other credentials (forced in tests, API keys)."""
    token = request.auth
    return str(token[SESSION_CLAIM]) if isinstance(token, Token) and SESSION_CLAIM in token else None


def _token_response(pair: TokenPair) -> Response:
    body = {"access": pair.access, "refresh": pair.refresh, "token_type": TOKEN_TYPE, "expires_in": pair.expires_in}
    return Response(body, headers=NO_STORE)


def _accepted() -> Response:
    return Response({"detail": ACCEPTED}, status=status.HTTP_202_ACCEPTED)


PUBLIC_ACTIONS = frozenset(
    (
        "register",
        "verify_email",
        "verify_email_resend",
        "token",
        "token_refresh",
        "password_reset",
        "password_reset_confirm",
    )
)


class AuthViewSet(ApiViewSet):
    """Every /auth/ endpoint but sessions: the `auth` throttle scope, keyed by the trusted client ip (or the
    user). The public actions need no credentials, but a presented Bearer token is still checked."""

    throttle_classes = [AuthThrottle]
    throttle_scope = "auth"

    def get_permissions(self) -> list:
        return [AnonymousPost()] if self.action in PUBLIC_ACTIONS else [IsAuthenticated()]

    @extend_schema(
        tags=["auth"],
        auth=PUBLIC_AUTH,
        request=s.AccountRegisterInputSerializer,
        responses={201: s.AccountUserOutputSerializer, 400: problem("Invalid body, weak password or e-mail taken.")},
    )
    @action(detail=False, methods=["post"])
    def register(self, request: Request) -> Response:
        user = user_register(**validated(s.AccountRegisterInputSerializer, request), request=request)
        return Response(s.AccountUserOutputSerializer(user).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        tags=["auth"],
        auth=PUBLIC_AUTH,
        request=s.AccountVerifyEmailInputSerializer,
        responses={200: s.AccountUserOutputSerializer, 400: problem("Bad, used or expired token (`invalid_token`).")},
    )
    @action(detail=False, methods=["post"], url_path="verify-email")
    def verify_email(self, request: Request) -> Response:
        user = user_verify_email(**validated(s.AccountVerifyEmailInputSerializer, request), request=request)
        return Response(s.AccountUserOutputSerializer(user).data)

    @extend_schema(
        tags=["auth"],
        auth=PUBLIC_AUTH,
        request=s.AccountEmailInputSerializer,
        responses={202: s.AccountAcceptedOutputSerializer},
    )
    @action(detail=False, methods=["post"], url_path="verify-email/resend")
    def verify_email_resend(self, request: Request) -> Response:
        user_resend_verification(**validated(s.AccountEmailInputSerializer, request))
        return _accepted()

    @extend_schema(
        tags=["auth"],
        auth=PUBLIC_AUTH,
        request=s.AccountTokenInputSerializer,
        responses={
            200: s.AccountTokenPairOutputSerializer,
            (401, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                s.AccountMfaRequiredProblemSerializer,
                description=(
                    "Wrong e-mail or password (`invalid_credentials`), one body for both. Or, for an account with "
                    "TOTP on and the right password, `code: mfa_required`: no tokens yet; the problem carries "
                    "`mfa_token` and `methods`; POST both the `mfa_token` and a code to /api/v1/auth/mfa/verify/ "
                    "for the token pair."
                ),
            ),
            403: problem("The e-mail address is not verified (`email_not_verified`)."),
            429: problem("Locked out after too many failures, or throttled (`throttled`, with Retry-After)."),
            503: CACHE_DOWN,
        },
    )
    @action(detail=False, methods=["post"])
    def token(self, request: Request) -> Response:
        return _token_response(auth_login(**validated(s.AccountTokenInputSerializer, request), request=request))

    @extend_schema(
        tags=["auth"],
        auth=PUBLIC_AUTH,
        request=s.AccountRefreshInputSerializer,
        responses={
            200: s.AccountTokenPairOutputSerializer,
            401: problem(
                "Invalid, expired or revoked refresh (`token_not_valid`); an already rotated one "
                "(`token_reused`) also revokes its session."
            ),
            503: CACHE_DOWN,
        },
    )
    @action(detail=False, methods=["post"], url_path="token/refresh")
    def token_refresh(self, request: Request) -> Response:
        return _token_response(session_refresh(**validated(s.AccountRefreshInputSerializer, request), request=request))

    @extend_schema(
        tags=["auth"],
        request=s.AccountRefreshInputSerializer,
        responses={204: None, 401: problem("Bad credentials, or a refresh that is not the caller's."), 503: CACHE_DOWN},
    )
    @action(detail=False, methods=["post"])
    def logout(self, request: Request) -> Response:
        session_logout(user=request.user, **validated(s.AccountRefreshInputSerializer, request), request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(tags=["auth"], request=None, responses={204: None, 503: CACHE_DOWN})
    @action(detail=False, methods=["post"], url_path="logout-all")
    def logout_all(self, request: Request) -> Response:
        session_logout_all(user=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        tags=["auth"],
        request=s.AccountPasswordChangeInputSerializer,
        responses={204: None, 400: problem("Wrong current password or weak new password."), 503: CACHE_DOWN},
    )
    @action(detail=False, methods=["post"], url_path="password/change")
    def password_change(self, request: Request) -> Response:
        data = validated(s.AccountPasswordChangeInputSerializer, request)
        password_change(user=request.user, current_session_id=current_session_id(request), request=request, **data)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        tags=["auth"],
        auth=PUBLIC_AUTH,
        request=s.AccountEmailInputSerializer,
        responses={202: s.AccountAcceptedOutputSerializer},
    )
    @action(detail=False, methods=["post"], url_path="password/reset")
    def password_reset(self, request: Request) -> Response:
        password_reset_request(**validated(s.AccountEmailInputSerializer, request), request=request)
        return _accepted()

    @extend_schema(
        tags=["auth"],
        auth=PUBLIC_AUTH,
        request=s.AccountPasswordResetConfirmInputSerializer,
        responses={204: None, 400: problem("Bad, used or expired token, or a weak password."), 503: CACHE_DOWN},
    )
    @action(detail=False, methods=["post"], url_path="password/reset/confirm")
    def password_reset_confirm(self, request: Request) -> Response:
        password_reset_confirm(**validated(s.AccountPasswordResetConfirmInputSerializer, request), request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AccountSessionViewSet(ApiViewSet):
    """The caller's live sessions; deleting one revokes it (its tokens stop working at once)."""

    serializer_class = s.AccountSessionOutputSerializer
    throttle_classes = [AuthThrottle]
    throttle_scope = "auth"
    lookup_value_converter = "uuid"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return UserSession.objects.none()
        return session_list_live_for_user(user=self.request.user)

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "current_session_id": current_session_id(self.request)}

    @extend_schema(tags=["auth"])
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(tags=["auth"], responses={204: None, 503: CACHE_DOWN})
    def destroy(self, request: Request, pk: uuid.UUID) -> Response:
        session_revoke(session=self.get_object(), actor=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AccountUserViewSet(ApiViewSet):
    """Accounts: the caller's own (`me`), and every account for administrators."""

    serializer_class = s.AccountUserOutputSerializer
    permission_classes = [ActionPermission]
    action_permissions = {
        "list": ["accounts.view_user"],
        "retrieve": ["accounts.view_user"],
        "partial_update": ["accounts.view_user", "accounts.change_user"],
        "me": PUBLIC,
    }
    lookup_value_converter = "uuid"
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self):
        return user_list()

    @extend_schema(tags=["users"])
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(tags=["users"])
    def retrieve(self, request: Request, pk: uuid.UUID) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        tags=["users"],
        request=s.AccountUserAdminUpdateInputSerializer,
        responses={
            200: s.AccountUserOutputSerializer,
            409: problem("An administrator cannot demote or deactivate themselves."),
            503: CACHE_DOWN,
        },
    )
    def partial_update(self, request: Request, pk: uuid.UUID) -> Response:
        data = validated(s.AccountUserAdminUpdateInputSerializer, request)
        user = user_update(user=self.get_object(), actor=request.user, request=request, **data)
        return Response(self.get_serializer(user).data)

    @extend_schema(tags=["users"], methods=["GET"], responses={200: s.AccountUserOutputSerializer})
    @extend_schema(
        tags=["users"],
        methods=["PATCH"],
        request=s.AccountProfileUpdateInputSerializer,
        responses={200: s.AccountUserOutputSerializer, 503: CACHE_DOWN},
    )
    @action(detail=False, methods=["get", "patch"])
    def me(self, request: Request) -> Response:
        user = request.user
        if request.method == "PATCH":
            data = validated(s.AccountProfileUpdateInputSerializer, request)
            user = user_update_profile(user=user, request=request, **data)
        return Response(self.get_serializer(user).data)
