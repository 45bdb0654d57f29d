"""Data shapes of the accounts API: strict inputs (unknown fields are 400), separate outputs."""

from __future__ import annotations

from rest_framework import serializers

from accounts.models import User, UserSession
from accounts.roles import Role
from core.serializers import StrictSerializer

# Bounded so a megabyte "password" cannot make the hasher a denial of service.
PASSWORD_MAX_LENGTH = 1024


def _password_field(**kwargs) -> serializers.CharField:
    return serializers.CharField(max_length=PASSWORD_MAX_LENGTH, trim_whitespace=False, write_only=True, **kwargs)


class AccountUserOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "display_name", "email_verified", "role", "is_active", "date_joined"]
        read_only_fields = fields


class AccountRegisterInputSerializer(StrictSerializer):
    email = serializers.EmailField(max_length=254)
    password = _password_field()
    display_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")


class AccountTokenInputSerializer(StrictSerializer):
    # A plain string: a malformed address must get the same 401 as an unknown one.
    email = serializers.CharField(max_length=254, trim_whitespace=True)
    password = _password_field()


class AccountTokenPairOutputSerializer(serializers.Serializer):
    access = serializers.CharField(help_text="Access JWT for `Authorization: Bearer ...`.")
    refresh = serializers.CharField(help_text="Refresh JWT: use once, at /auth/token/refresh/.")
    token_type = serializers.ChoiceField(choices=["Bearer"])
    expires_in = serializers.IntegerField(min_value=0, help_text="Seconds until the access token expires.")


class AccountRefreshInputSerializer(StrictSerializer):
    refresh = serializers.CharField(max_length=4096)


class AccountVerifyEmailInputSerializer(StrictSerializer):
    token = serializers.CharField(max_length=1024)


class AccountEmailInputSerializer(StrictSerializer):
    email = serializers.EmailField(max_length=254)


class AccountPasswordChangeInputSerializer(StrictSerializer):
    current_password = _password_field()
    new_password = _password_field()


class AccountPasswordResetConfirmInputSerializer(StrictSerializer):
    token = serializers.CharField(max_length=1024)
    new_password = _password_field()


class AccountSessionOutputSerializer(serializers.ModelSerializer):
    current = serializers.SerializerMethodField(help_text="Whether the request's own token is of this session.")

    class Meta:
        model = UserSession
        fields = ["id", "created_at", "last_used_at", "expires_at", "ip", "user_agent", "current"]
        read_only_fields = fields

    def get_current(self, session: UserSession) -> bool:
        return str(session.pk) == self.context.get("current_session_id")


class AccountProfileUpdateInputSerializer(StrictSerializer):
    display_name = serializers.CharField(max_length=150, allow_blank=True)


class AccountUserAdminUpdateInputSerializer(StrictSerializer):
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    is_active = serializers.BooleanField(required=False)


class AccountAcceptedOutputSerializer(serializers.Serializer):
    detail = serializers.CharField()
