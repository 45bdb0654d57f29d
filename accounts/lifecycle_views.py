"""The caller's account under /users/me/: e-mail change, deletion, export (API.md *Accounts: lifecycle*)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import serializers as s
from accounts.account_data import account_delete, account_export
from accounts.lifecycle import email_change_confirm, email_change_request
from accounts.passkey_serializers import PasskeyOutputSerializer
from accounts.views import ACCEPTED, CACHE_DOWN, NO_STORE, _accepted, current_session_id
from audit.serializers import AuditEventOutputSerializer
from core.schema import problem
from core.throttles import AuthThrottle
from core.views import ApiViewSet, validated
from downloads.serializers import FileOutputSerializer


class AccountExportOutputSerializer(serializers.Serializer):
    profile = s.AccountUserOutputSerializer()
    sessions = s.AccountSessionOutputSerializer(many=True)
    passkeys = PasskeyOutputSerializer(many=True)
    files = FileOutputSerializer(many=True, help_text="Metadata only; the bytes are at each file's content URL.")
    audit_events = AuditEventOutputSerializer(many=True, help_text="The events whose actor is the caller.")


class AccountLifecycleViewSet(ApiViewSet):
    """Sensitive changes of the caller's own account: each needs the password again (the `auth` scope)."""

    throttle_classes = [AuthThrottle]
    throttle_scope = "auth"

    @extend_schema(
        tags=["users"],
        request=s.AccountEmailChangeInputSerializer,
        responses={
            202: s.AccountAcceptedOutputSerializer,
            400: problem("Wrong password (`wrong_password`) or an address in use (`email_taken`)."),
        },
        description=f"A confirmation link goes to the new address; nothing changes yet. {ACCEPTED}",
    )
    @action(detail=False, methods=["post"])
    def email(self, request: Request) -> Response:
        email_change_request(
            user=request.user, request=request, **validated(s.AccountEmailChangeInputSerializer, request)
        )
        return _accepted()

    @extend_schema(
        tags=["users"],
        request=s.AccountVerifyEmailInputSerializer,
        responses={
            200: s.AccountUserOutputSerializer,
            400: problem("Bad, used or expired token (`invalid_token`), or the address was taken meanwhile."),
        },
    )
    @action(detail=False, methods=["post"], url_path="email/confirm")
    def email_confirm(self, request: Request) -> Response:
        data = validated(s.AccountVerifyEmailInputSerializer, request)
        user = email_change_confirm(user=request.user, request=request, **data)
        return Response(s.AccountUserOutputSerializer(user).data)

    @extend_schema(
        tags=["users"],
        request=s.AccountDeleteInputSerializer,
        responses={
            204: None,
            400: problem("Wrong password (`wrong_password`) or code (`invalid_code`)."),
            503: CACHE_DOWN,
        },
    )
    @action(detail=False, methods=["post"], url_path="delete")
    def delete_account(self, request: Request) -> Response:  # not `delete`: that is the HTTP method's handler
        data = validated(s.AccountDeleteInputSerializer, request)
        account_delete(user=request.user, password=data["password"], code=data.get("code"), request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(tags=["users"], responses={200: AccountExportOutputSerializer})
    @action(detail=False, methods=["get"])
    def export(self, request: Request) -> Response:
        data = account_export(user=request.user, request=request)
        context = {"request": request, "current_session_id": current_session_id(request)}
        return Response(AccountExportOutputSerializer(data, context=context).data, headers=NO_STORE)
