"""Data shapes of the passkey API: the WebAuthn Level 3 JSON forms of the ceremony options (base64url bytes)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Passkey
from core.serializers import StrictSerializer


class WebAuthnRelyingPartySerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()


# Member names are WebAuthn's own (camelCase), so the JSON is what the browser APIs take.
class WebAuthnUserEntitySerializer(serializers.Serializer):
    id = serializers.CharField(help_text="The user handle, base64url.")
    name = serializers.CharField()
    displayName = serializers.CharField()


class WebAuthnCredentialParameterSerializer(serializers.Serializer):
    type = serializers.CharField()
    alg = serializers.IntegerField(help_text="COSE algorithm identifier.")


class WebAuthnCredentialDescriptorSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="Credential id, base64url.")
    type = serializers.CharField()
    transports = serializers.ListField(child=serializers.CharField(), required=False)


class WebAuthnAuthenticatorSelectionSerializer(serializers.Serializer):
    authenticatorAttachment = serializers.CharField(required=False)
    residentKey = serializers.CharField(required=False)
    requireResidentKey = serializers.BooleanField(required=False)
    userVerification = serializers.CharField(required=False)


class PasskeyCreationOptionsOutputSerializer(serializers.Serializer):
    """WebAuthn Level 3 `PublicKeyCredentialCreationOptionsJSON`, for parseCreationOptionsFromJSON()."""

    rp = WebAuthnRelyingPartySerializer()
    user = WebAuthnUserEntitySerializer()
    challenge = serializers.CharField(help_text="base64url; valid once, for WEBAUTHN_CHALLENGE_TTL seconds.")
    pubKeyCredParams = WebAuthnCredentialParameterSerializer(many=True)
    timeout = serializers.IntegerField(required=False)
    excludeCredentials = WebAuthnCredentialDescriptorSerializer(many=True, required=False)
    authenticatorSelection = WebAuthnAuthenticatorSelectionSerializer(required=False)
    attestation = serializers.CharField(required=False)
    hints = serializers.ListField(child=serializers.CharField(), required=False)


class PasskeyRequestOptionsOutputSerializer(serializers.Serializer):
    """`PublicKeyCredentialRequestOptionsJSON` (WebAuthn Level 3): PublicKeyCredential.parseRequestOptionsFromJSON()."""

    challenge = serializers.CharField(help_text="base64url; valid once, for WEBAUTHN_CHALLENGE_TTL seconds.")
    timeout = serializers.IntegerField(required=False)
    rpId = serializers.CharField(required=False)
    allowCredentials = WebAuthnCredentialDescriptorSerializer(many=True, required=False)
    userVerification = serializers.CharField(required=False)
    hints = serializers.ListField(child=serializers.CharField(), required=False)


@extend_schema_field({"type": "object", "additionalProperties": True})
class _CredentialField(serializers.JSONField):
    """A JSON object (validate_credential refuses anything else); WebAuthn checks the rest."""


def _credential_field(what: str) -> serializers.JSONField:
    return _CredentialField(help_text=f"The `{what}` (PublicKeyCredential.toJSON()) of the browser.")


class PasskeyRegisterInputSerializer(StrictSerializer):
    credential = _credential_field("RegistrationResponseJSON")
    name = serializers.CharField(max_length=100)

    def validate_credential(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("Expected a JSON object.", code="invalid_credential")
        return value


class PasskeyLoginInputSerializer(StrictSerializer):
    credential = _credential_field("AuthenticationResponseJSON")

    validate_credential = PasskeyRegisterInputSerializer.validate_credential


class PasskeyLoginOptionsInputSerializer(StrictSerializer):
    email = serializers.EmailField(max_length=254, required=False, help_text="Omit for a discoverable credential.")


class PasskeyOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Passkey
        fields = ["id", "name", "created_at", "last_used_at"]
        read_only_fields = fields
