"""Passkey API (API.md *Accounts: passkeys*): thin views over accounts.passkeys."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import passkey_serializers as s
from accounts.models import Passkey
from accounts.passkeys import (
    passkey_delete,
    passkey_login,
    passkey_login_options,
    passkey_register,
    passkey_registration_options,
)
from accounts.permissions import AnonymousPost
from accounts.serializers import AccountTokenPairOutputSerializer
from accounts.views import NO_STORE, PUBLIC_AUTH, _token_response
from core.schema import problem
from core.throttles import AuthThrottle
from core.views import ApiViewSet, validated

PUBLIC_ACTIONS = frozenset(("login_options", "login"))


class PasskeyViewSet(ApiViewSet):
    """The caller's passkeys under /auth/passkeys/ (the `auth` throttle scope); the login ceremony is public."""

    serializer_class = s.PasskeyOutputSerializer
    throttle_classes = [AuthThrottle]
    throttle_scope = "auth"
    lookup_value_converter = "uuid"

    def get_permissions(self) -> list:
        return [AnonymousPost()] if self.action in PUBLIC_ACTIONS else [IsAuthenticated()]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Passkey.objects.none()
        return Passkey.objects.filter(user_id=self.request.user.pk).order_by("created_at")

    @extend_schema(tags=["passkeys"])
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(tags=["passkeys"], responses={204: None})
    def destroy(self, request: Request, pk: str) -> Response:
        passkey_delete(passkey=self.get_object(), request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(tags=["passkeys"], request=None, responses={200: s.PasskeyCreationOptionsOutputSerializer})
    @action(detail=False, methods=["post"], url_path="register/options")
    def register_options(self, request: Request) -> Response:
        return Response(passkey_registration_options(user=request.user), headers=NO_STORE)

    @extend_schema(
        tags=["passkeys"],
        request=s.PasskeyRegisterInputSerializer,
        responses={
            201: s.PasskeyOutputSerializer,
            400: problem(
                "A bad attestation, a stale or reused challenge, a wrong origin or RP ID, or a credential "
                "already registered (`invalid_credential`)."
            ),
        },
    )
    @action(detail=False, methods=["post"])
    def register(self, request: Request) -> Response:
        data = validated(s.PasskeyRegisterInputSerializer, request)
        passkey = passkey_register(user=request.user, request=request, **data)
        return Response(s.PasskeyOutputSerializer(passkey).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        tags=["passkeys"],
        auth=PUBLIC_AUTH,
        request=s.PasskeyLoginOptionsInputSerializer,
        responses={200: s.PasskeyRequestOptionsOutputSerializer},
    )
    @action(detail=False, methods=["post"], url_path="login/options")
    def login_options(self, request: Request) -> Response:
        data = validated(s.PasskeyLoginOptionsInputSerializer, request)
        return Response(passkey_login_options(email=data.get("email")), headers=NO_STORE)

    @extend_schema(
        tags=["passkeys"],
        auth=PUBLIC_AUTH,
        request=s.PasskeyLoginInputSerializer,
        responses={
            200: AccountTokenPairOutputSerializer,
            401: problem(
                "A bad signature, an unknown credential, a replayed or stale challenge or a sign counter that "
                "went backwards (`invalid_passkey`)."
            ),
        },
    )
    @action(detail=False, methods=["post"])
    def login(self, request: Request) -> Response:
        return _token_response(passkey_login(request=request, **validated(s.PasskeyLoginInputSerializer, request)))
