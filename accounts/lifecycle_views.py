"""The caller's account: e-mail change, deletion, export (API.md *Accounts: lifecycle*)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import serializers as s
from accounts.account_data import account_delete, account_export
from accounts.lifecycle import email_change_confirm, email_change_request
from accounts.passkey_serializers import PasskeyOutputSerializer
from accounts.views import ACCEPTED, CACHE_DOWN, AuthEndpoint, _accepted, _validated, current_session_id
from audit.serializers import AuditEventOutputSerializer
from core.schema import problem
from downloads.serializers import FileOutputSerializer


class AccountExportOutputSerializer(serializers.Serializer):
    profile = s.AccountUserOutputSerializer()
    sessions = s.AccountSessionOutputSerializer(many=True)
    passkeys = PasskeyOutputSerializer(many=True)
    files = FileOutputSerializer(many=True, help_text="Metadata only; the bytes are at each file's content URL.")
    audit_events = AuditEventOutputSerializer(many=True, help_text="The events whose actor is the caller.")


class EmailChangeView(AuthEndpoint):
    @extend_schema(
        tags=["users"],
        request=s.AccountEmailChangeInputSerializer,
        responses={
            202: s.AccountAcceptedOutputSerializer,
            400: problem("Wrong password (`wrong_password`) or an address in use (`email_taken`)."),
        },
        description=f"A confirmation link goes to the new address; nothing changes yet. {ACCEPTED}",
    )
    def post(self, request: Request) -> Response:
        email_change_request(
            user=request.user, request=request, **_validated(s.AccountEmailChangeInputSerializer, request)
        )
        return _accepted()


class EmailChangeConfirmView(AuthEndpoint):
    @extend_schema(
        tags=["users"],
        request=s.AccountVerifyEmailInputSerializer,
        responses={
            200: s.AccountUserOutputSerializer,
            400: problem("Bad, used or expired token (`invalid_token`), or the address was taken meanwhile."),
        },
    )
    def post(self, request: Request) -> Response:
        user = email_change_confirm(
            user=request.user, request=request, **_validated(s.AccountVerifyEmailInputSerializer, request)
        )
        return Response(s.AccountUserOutputSerializer(user).data)


class AccountDeleteView(AuthEndpoint):
    @extend_schema(
        tags=["users"],
        request=s.AccountDeleteInputSerializer,
        responses={
            204: None,
            400: problem("Wrong password (`wrong_password`) or code (`invalid_code`)."),
            503: CACHE_DOWN,
        },
    )
    def post(self, request: Request) -> Response:
        account_delete(
            user=request.user, request=request, **{"code": None, **_validated(s.AccountDeleteInputSerializer, request)}
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class AccountExportView(AuthEndpoint):
    @extend_schema(tags=["users"], responses={200: AccountExportOutputSerializer})
    def get(self, request: Request) -> Response:
        data = account_export(user=request.user, request=request)
        context = {"request": request, "current_session_id": current_session_id(request)}
        body = AccountExportOutputSerializer(data, context=context).data
        return Response(body, headers={"Cache-Control": "no-store"})
