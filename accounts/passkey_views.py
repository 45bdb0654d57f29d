"""Passkey API (API.md *Accounts: passkeys*): thin views over accounts.passkeys."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
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
from accounts.serializers import AccountTokenPairOutputSerializer
from accounts.views import PUBLIC_AUTH, UUID_PATTERN, AuthEndpoint, PublicAuthEndpoint, _token_response, _validated
from core.schema import problem
from core.throttles import AuthThrottle


class PasskeyRegistrationOptionsView(AuthEndpoint):
    @extend_schema(tags=["passkeys"], request=None, responses={200: s.PasskeyCreationOptionsOutputSerializer})
    def post(self, request: Request) -> Response:
        return Response(passkey_registration_options(user=request.user), headers={"Cache-Control": "no-store"})


class PasskeyRegisterView(AuthEndpoint):
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
    def post(self, request: Request) -> Response:
        passkey = passkey_register(
            user=request.user, request=request, **_validated(s.PasskeyRegisterInputSerializer, request)
        )
        return Response(s.PasskeyOutputSerializer(passkey).data, status=status.HTTP_201_CREATED)


class PasskeyLoginOptionsView(PublicAuthEndpoint):
    @extend_schema(
        tags=["passkeys"],
        auth=PUBLIC_AUTH,
        request=s.PasskeyLoginOptionsInputSerializer,
        responses={200: s.PasskeyRequestOptionsOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        data = _validated(s.PasskeyLoginOptionsInputSerializer, request)
        return Response(passkey_login_options(email=data.get("email")), headers={"Cache-Control": "no-store"})


class PasskeyLoginView(PublicAuthEndpoint):
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
    def post(self, request: Request) -> Response:
        return _token_response(passkey_login(request=request, **_validated(s.PasskeyLoginInputSerializer, request)))


class PasskeyViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The caller's passkeys; deleting one removes it (audited)."""

    serializer_class = s.PasskeyOutputSerializer
    throttle_classes = [AuthThrottle]
    throttle_scope = "auth"
    lookup_value_regex = UUID_PATTERN

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Passkey.objects.none()
        return Passkey.objects.filter(user=self.request.user).order_by("created_at")

    @extend_schema(tags=["passkeys"])
    def list(self, request: Request) -> Response:
        return super().list(request)

    @extend_schema(tags=["passkeys"], responses={204: None})
    def destroy(self, request: Request, pk: str) -> Response:
        passkey_delete(passkey=self.get_object(), request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)
