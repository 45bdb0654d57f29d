"""Data shapes of the accounts API: strict inputs (unknown fields are 400), separate outputs."""

from __future__ import annotations

from django.contrib.auth.password_validation import MinimumLengthValidator, get_default_password_validators
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User, UserSession
from accounts.roles import Role
from core.schema import ProblemDetailSerializer
from core.serializers import OutputModelSerializer, StrictSerializer

# Bounded so a megabyte "password" cannot make the hasher a denial of service.
PASSWORD_MAX_LENGTH = 1024


def _password_field(**kwargs) -> serializers.CharField:
    return serializers.CharField(max_length=PASSWORD_MAX_LENGTH, trim_whitespace=False, write_only=True, **kwargs)


def _password_min_length() -> int:
    lengths = [v.min_length for v in get_default_password_validators() if isinstance(v, MinimumLengthValidator)]
    return max(lengths, default=1)


# The schema states the minimum length of AUTH_PASSWORD_VALIDATORS; the other validators (similar to the
# e-mail, common, all digits) cannot be written as a JSON Schema, and are 400 `weak_password`. The length
# is checked by those validators, not by the field, so a short password keeps that code.
@extend_schema_field(
    {"type": "string", "minLength": _password_min_length(), "maxLength": PASSWORD_MAX_LENGTH},
)
class _NewPasswordField(serializers.CharField):
    pass


def _new_password_field() -> serializers.CharField:
    return _NewPasswordField(max_length=PASSWORD_MAX_LENGTH, trim_whitespace=False, write_only=True)


class AccountUserOutputSerializer(OutputModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "display_name", "email_verified", "role", "is_active", "date_joined"]
        read_only_fields = fields


class AccountRegisterInputSerializer(StrictSerializer):
    email = serializers.EmailField(max_length=254)
    password = _new_password_field()
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
    new_password = _new_password_field()


class AccountPasswordResetConfirmInputSerializer(StrictSerializer):
    token = serializers.CharField(max_length=1024)
    new_password = _new_password_field()


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


class AccountMfaRequiredProblemSerializer(ProblemDetailSerializer):
    """The 401 of /auth/token/: a plain problem, or with `code: mfa_required` the start of a two-step login."""

    mfa_token = serializers.CharField(
        required=False,
        help_text="With `code: mfa_required`: send it with a code to /api/v1/auth/mfa/verify/ (single use, 300 s).",
    )
    methods = serializers.ListField(
        child=serializers.ChoiceField(choices=["totp", "recovery_code"]),
        required=False,
        help_text="With `code: mfa_required`: the second factors the account accepts.",
    )
    expires_in = serializers.IntegerField(required=False, help_text="Seconds the `mfa_token` stays valid.")


class AccountMfaStatusOutputSerializer(serializers.Serializer):
    totp = serializers.BooleanField()
    passkeys = serializers.IntegerField(min_value=0)
    recovery_codes_left = serializers.IntegerField(min_value=0)


class AccountPasswordInputSerializer(StrictSerializer):
    password = _password_field()


class AccountCodeInputSerializer(StrictSerializer):
    code = serializers.CharField(max_length=64, help_text="A 6-digit TOTP code, or a recovery code.")


class AccountPasswordCodeInputSerializer(AccountPasswordInputSerializer):
    code = serializers.CharField(max_length=64, help_text="A current TOTP code or an unused recovery code.")


class AccountOptionalCodeInputSerializer(AccountPasswordInputSerializer):
    code = serializers.CharField(max_length=64, required=False, help_text="Required when TOTP is on.")


class AccountTotpEnrolmentOutputSerializer(serializers.Serializer):
    secret = serializers.CharField(help_text="Base32 seed (RFC 6238, SHA-1, 6 digits, 30 s), shown once.")
    otpauth_uri = serializers.CharField(help_text="`otpauth://totp/...` for a QR code.")


class AccountRecoveryCodesOutputSerializer(serializers.Serializer):
    recovery_codes = serializers.ListField(child=serializers.CharField(), min_length=10, max_length=10)


class AccountMfaVerifyInputSerializer(StrictSerializer):
    mfa_token = serializers.CharField(max_length=128)
    code = serializers.CharField(max_length=64, help_text="A 6-digit TOTP code, or a recovery code.")


class AccountEmailChangeInputSerializer(StrictSerializer):
    new_email = serializers.EmailField(max_length=254)
    password = _password_field()


class AccountDeleteInputSerializer(StrictSerializer):
    password = _password_field()
    code = serializers.CharField(max_length=64, required=False, help_text="A TOTP or recovery code, when TOTP is on.")
