"""Passkeys (WebAuthn Level 3) with py_webauthn: registration and login ceremonies.

Every challenge is kept server-side (its SHA-256, in the database: any instance accepts the answer) and
is spent by the first answer that names it, valid or not, so an assertion cannot be replayed. The
relying party is WEBAUTHN_RP_ID; answers must come from one of WEBAUTHN_ORIGINS. The library refuses a
sign counter that did not grow (a cloned authenticator). A passkey login satisfies the second factor.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, parse_client_data_json
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from accounts.models import Passkey, User, WebAuthnChallenge
from accounts.session_services import session_open
from accounts.tokens import TokenPair
from audit.services import record
from core.errors import AuthenticationError, ValidationError

Purpose = WebAuthnChallenge.Purpose
# What a malformed credential makes the parsers raise, besides the library's own errors.
_MALFORMED = (WebAuthnException, ValueError, TypeError, KeyError, AttributeError)


def _digest(challenge: bytes) -> str:
    return hashlib.sha256(challenge).hexdigest()


def _challenge_store(challenge: bytes, *, purpose: str, user: User | None) -> None:
    now = timezone.now()
    WebAuthnChallenge.objects.filter(expires_at__lt=now).delete()
    WebAuthnChallenge.objects.create(
        challenge_hash=_digest(challenge),
        purpose=purpose,
        user_id=user.pk if user else None,
        expires_at=now + timedelta(seconds=settings.WEBAUTHN_CHALLENGE_TTL),
    )


@dataclass(frozen=True)
class SpentChallenge:
    value: bytes
    user_id: Any  # the user the options were for; None for a discoverable login


def _challenge_spend(credential: dict[str, Any], *, purpose: str) -> SpentChallenge | None:
    """The stored challenge the client signed, deleted so nobody answers it twice; None if unknown or stale."""
    try:
        client_data = parse_client_data_json(base64url_to_bytes(credential["response"]["clientDataJSON"]))
    except _MALFORMED:
        return None
    row = (
        WebAuthnChallenge.objects.select_for_update()
        .filter(challenge_hash=_digest(client_data.challenge), purpose=purpose)
        .first()
    )
    if row is None:
        return None
    row.delete()
    if row.expires_at <= timezone.now():
        return None
    return SpentChallenge(value=client_data.challenge, user_id=row.user_id)


def _user_handle(user: User) -> bytes:
    # The WebAuthn user handle: the 16 bytes of the user's UUID (never the e-mail: it must not identify).
    return uuid.UUID(str(user.pk)).bytes


def _descriptors(user: User) -> list[PublicKeyCredentialDescriptor]:
    return [
        PublicKeyCredentialDescriptor(id=bytes(key.credential_id)) for key in Passkey.objects.filter(user_id=user.pk)
    ]


def _options_json(options: Any) -> dict[str, Any]:
    return json.loads(options_to_json(options))


@transaction.atomic
def passkey_registration_options(*, user: User) -> dict[str, Any]:
    """Options for navigator.credentials.create(): a discoverable credential for this user."""
    options = generate_registration_options(
        rp_id=settings.WEBAUTHN_RP_ID,
        rp_name=settings.WEBAUTHN_RP_NAME,
        user_id=_user_handle(user),
        user_name=user.email,
        user_display_name=user.display_name or user.email,
        timeout=settings.WEBAUTHN_CHALLENGE_TTL * 1000,
        exclude_credentials=_descriptors(user),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED, user_verification=UserVerificationRequirement.PREFERRED
        ),
    )
    _challenge_store(options.challenge, purpose=Purpose.REGISTRATION, user=user)
    return _options_json(options)


def _bad_registration(message: str) -> ValidationError:
    return ValidationError({"credential": message}, code="invalid_credential")


@transaction.atomic
def passkey_register(*, user: User, credential: dict[str, Any], name: str, request: Any = None) -> Passkey:
    """Verify the attestation of a new credential against this user's challenge, origin and RP ID; keep it."""
    challenge = _challenge_spend(credential, purpose=Purpose.REGISTRATION)
    if challenge is None or str(challenge.user_id) != str(user.pk):
        raise _bad_registration("Unknown, used or expired challenge.")
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge.value,
            expected_rp_id=settings.WEBAUTHN_RP_ID,
            expected_origin=settings.WEBAUTHN_ORIGINS,
        )
    except _MALFORMED as exc:
        raise _bad_registration("The credential did not verify.") from exc
    transports = credential.get("response", {}).get("transports") or []
    try:
        with transaction.atomic():
            passkey = Passkey.objects.create(
                user_id=user.pk,
                name=name,
                credential_id=verified.credential_id,
                public_key=verified.credential_public_key,
                sign_count=verified.sign_count,
                transports=[str(item) for item in transports][:8] if isinstance(transports, list) else [],
            )
    except IntegrityError as exc:
        raise _bad_registration("This credential is already registered.") from exc
    record("auth.passkey.added", actor=user, target=passkey, metadata={"name": name}, request=request)
    return passkey


@transaction.atomic
def passkey_delete(*, passkey: Passkey, request: Any = None) -> None:
    record("auth.passkey.removed", actor=passkey.user, target=passkey, metadata={"name": passkey.name}, request=request)
    passkey.delete()


@transaction.atomic
def passkey_login_options(*, email: str | None) -> dict[str, Any]:
    """Options for navigator.credentials.get(). Without an e-mail, any discoverable credential of this RP.

    An unknown e-mail gets the same shape of answer (an empty allow list), so nobody learns which
    addresses have accounts.
    """
    user = User.objects.filter(email__iexact=email.strip(), is_active=True).first() if email else None
    options = generate_authentication_options(
        rp_id=settings.WEBAUTHN_RP_ID,
        timeout=settings.WEBAUTHN_CHALLENGE_TTL * 1000,
        allow_credentials=_descriptors(user) if user else [],
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    _challenge_store(options.challenge, purpose=Purpose.AUTHENTICATION, user=user)
    return _options_json(options)


def _refused() -> AuthenticationError:
    return AuthenticationError("The passkey assertion did not verify.", code="invalid_passkey")


def passkey_login(*, credential: dict[str, Any], request: Any) -> TokenPair:
    """Verify an assertion (signature, challenge, origin, RP ID, growing sign counter); open a session."""
    with transaction.atomic():
        challenge = _challenge_spend(credential, purpose=Purpose.AUTHENTICATION)
        if challenge is None:
            raise _refused()
        passkey = _passkey_for(credential, challenge)
        try:
            verified = verify_authentication_response(
                credential=credential,
                expected_challenge=challenge.value,
                expected_rp_id=settings.WEBAUTHN_RP_ID,
                expected_origin=settings.WEBAUTHN_ORIGINS,
                credential_public_key=bytes(passkey.public_key),
                credential_current_sign_count=passkey.sign_count,
            )
        except _MALFORMED as exc:
            record("auth.passkey.refused", target=passkey, metadata={"reason": type(exc).__name__}, request=request)
            refused = exc
        else:
            refused = None
            passkey.sign_count = verified.new_sign_count
            passkey.last_used_at = timezone.now()
            passkey.save(update_fields=["sign_count", "last_used_at"])
            return session_open(user=passkey.user, request=request)
    raise _refused() from refused


def _passkey_for(credential: dict[str, Any], challenge: SpentChallenge) -> Passkey:
    """The registered credential the assertion names, of an active verified user (and the one the options
    were for, when they named a user); 401 otherwise."""
    try:
        credential_id = base64url_to_bytes(credential["rawId"])
        handle = credential["response"].get("userHandle")
        user_handle = base64url_to_bytes(handle) if handle else None
    except _MALFORMED as exc:
        raise _refused() from exc
    passkey = (
        Passkey.objects.select_for_update()
        .select_related("user")
        .filter(credential_id=credential_id, user__is_active=True, user__email_verified=True)
        .first()
    )
    if passkey is None or (challenge.user_id and challenge.user_id != passkey.user_id):
        raise _refused()
    if user_handle is not None and user_handle != _user_handle(passkey.user):
        raise _refused()
    return passkey
