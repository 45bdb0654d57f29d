"""API.md *Accounts: passkeys*: the registration and login ceremonies, list and delete."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.models import Passkey, UserSession, WebAuthnChallenge
from audit.models import AuditEvent
from tests.accounts.mfa_support import enable_totp
from tests.accounts.webauthn_support import SoftAuthenticator, b64
from tests.support.auth import ME_URL, Login
from tests.support.contract import ContractAPIClient

pytestmark = pytest.mark.django_db

REGISTER_OPTIONS = "/api/v1/auth/passkeys/register/options/"
REGISTER = "/api/v1/auth/passkeys/register/"
LOGIN_OPTIONS = "/api/v1/auth/passkeys/login/options/"
LOGIN = "/api/v1/auth/passkeys/login/"
LIST = "/api/v1/auth/passkeys/"


@pytest.fixture
def authenticator() -> SoftAuthenticator:
    return SoftAuthenticator(origin=settings.WEBAUTHN_ORIGINS[0], rp_id=settings.WEBAUTHN_RP_ID)


def _register(client, authenticator, name: str = "Laptop", **create):
    options = client.post(REGISTER_OPTIONS).json()
    return client.post(REGISTER, {"credential": authenticator.create(options, **create), "name": name})


@pytest.fixture
def registered(user_client, authenticator) -> SoftAuthenticator:
    assert _register(user_client, authenticator).status_code == 201
    return authenticator


def _login_options(email: str | None = None) -> dict:
    response = ContractAPIClient().post(LOGIN_OPTIONS, {"email": email} if email else {})
    assert response.status_code == 200
    return response.json()


def _login(credential: dict):
    return ContractAPIClient().post(LOGIN, {"credential": credential})


# --- registration ----------------------------------------------------------------------------------


def test_passkey_register_options__200_creation_options_json(user, user_client):
    response = user_client.post(REGISTER_OPTIONS)

    assert response.status_code == 200
    body = response.json()
    assert body["rp"] == {"id": settings.WEBAUTHN_RP_ID, "name": settings.WEBAUTHN_RP_NAME}
    assert body["user"]["id"] == b64(user.pk.bytes)
    assert body["user"]["name"] == user.email
    assert len(body["challenge"]) >= 43 and "=" not in body["challenge"]
    assert body["authenticatorSelection"]["residentKey"] == "required"
    assert WebAuthnChallenge.objects.count() == 1
    assert body["challenge"] not in json.dumps(list(AuditEvent.objects.values("metadata")))


def test_passkey_register__valid_attestation__201_and_audited(user, user_client, authenticator):
    response = _register(user_client, authenticator, name="YubiKey")

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "name", "created_at", "last_used_at"}
    assert body["name"] == "YubiKey" and body["last_used_at"] is None
    passkey = Passkey.objects.get(user=user)
    assert bytes(passkey.credential_id) == authenticator.credential_id
    assert AuditEvent.objects.get(action="auth.passkey.added").metadata == {"name": "YubiKey"}
    assert user_client.get("/api/v1/auth/mfa/").json()["passkeys"] == 1


def test_passkey_register__reused_challenge__400(user_client, authenticator):
    options = user_client.post(REGISTER_OPTIONS).json()
    credential = authenticator.create(options)
    assert user_client.post(REGISTER, {"credential": credential, "name": "a"}).status_code == 201

    again = user_client.post(REGISTER, {"credential": credential, "name": "b"})

    assert again.status_code == 400
    assert again.json()["code"] == "invalid_credential"


def test_passkey_register__stale_challenge__400(user_client, authenticator):
    options = user_client.post(REGISTER_OPTIONS).json()
    WebAuthnChallenge.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = user_client.post(REGISTER, {"credential": authenticator.create(options), "name": "a"})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credential"


@pytest.mark.parametrize(
    "create", [{"origin": "https://evil.example"}, {"rp_id": "evil.example"}], ids=["wrong-origin", "wrong-rp-id"]
)
def test_passkey_register__wrong_origin_or_rp_id__400(user_client, authenticator, create):
    response = _register(user_client, authenticator, **create)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credential"
    assert not Passkey.objects.exists()


def test_passkey_register__bad_attestation__400(user_client, authenticator):
    options = user_client.post(REGISTER_OPTIONS).json()
    credential = authenticator.create(options)
    credential["response"]["attestationObject"] = b64(b"\xa1not cbor at all")

    response = user_client.post(REGISTER, {"credential": credential, "name": "a"})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credential"


def test_passkey_register__another_users_challenge__400(user_client, other_client, authenticator):
    options = other_client.post(REGISTER_OPTIONS).json()

    response = user_client.post(REGISTER, {"credential": authenticator.create(options), "name": "a"})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credential"


@pytest.mark.parametrize("credential", [[], "text", {}, {"response": {"clientDataJSON": "!!"}}])
def test_passkey_register__malformed_credential__400(user_client, credential):
    response = user_client.post(REGISTER, {"credential": credential, "name": "a"})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credential"


# --- list and delete -------------------------------------------------------------------------------


def test_passkey_list__own_only(user_client, other_client, registered):
    mine = user_client.get(LIST)

    assert mine.status_code == 200
    assert [item["name"] for item in mine.json()["results"]] == ["Laptop"]
    assert other_client.get(LIST).json()["results"] == []


def test_passkey_delete__204_audited_and_others_get_404(user_client, other_client, registered):
    passkey_id = user_client.get(LIST).json()["results"][0]["id"]

    foreign = other_client.delete(f"{LIST}{passkey_id}/")
    response = user_client.delete(f"{LIST}{passkey_id}/")

    assert foreign.status_code == 404
    assert foreign.json()["code"] == "not_found"
    assert response.status_code == 204
    assert not Passkey.objects.exists()
    assert AuditEvent.objects.filter(action="auth.passkey.removed", target_id=passkey_id).exists()
    refused = _login(registered.get(_login_options()))
    assert refused.status_code == 401
    assert refused.json()["code"] == "invalid_passkey"


# --- login -----------------------------------------------------------------------------------------


def test_passkey_login_options__with_email__allow_list_of_that_users_credentials(user, registered):
    options = _login_options(user.email)

    assert options["rpId"] == settings.WEBAUTHN_RP_ID
    assert [item["id"] for item in options["allowCredentials"]] == [b64(registered.credential_id)]


def test_passkey_login_options__unknown_email_or_none__empty_allow_list(registered):
    assert _login_options("nobody@example.com").get("allowCredentials", []) == []
    assert _login_options().get("allowCredentials", []) == []


def test_passkey_login__discoverable_without_email__200_token_pair(user, registered):
    response = _login(registered.get(_login_options()))

    assert response.status_code == 200
    body = response.json()
    assert Login(body["access"], body["refresh"]).client().get(ME_URL).json()["id"] == str(user.pk)
    passkey = Passkey.objects.get()
    assert passkey.sign_count == 1 and passkey.last_used_at is not None


def test_passkey_login__with_email_options__200(user, registered):
    assert _login(registered.get(_login_options(user.email))).status_code == 200


def test_passkey_login__totp_on__passkey_satisfies_mfa(user, registered):
    enable_totp(user)

    response = _login(registered.get(_login_options()))

    assert response.status_code == 200
    assert "access" in response.json()


def test_passkey_login__replayed_assertion__401(registered):
    credential = registered.get(_login_options())
    assert _login(credential).status_code == 200

    replay = _login(credential)

    assert replay.status_code == 401
    assert replay.json()["code"] == "invalid_passkey"
    assert UserSession.objects.count() == 1


def test_passkey_login__bad_signature__401(registered):
    credential = registered.get(_login_options())
    credential["response"]["signature"] = b64(b"\x30\x06\x02\x01\x01\x02\x01\x01")

    response = _login(credential)

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_passkey"


def test_passkey_login__unknown_credential__401(authenticator):
    response = _login(authenticator.get(_login_options()))

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_passkey"


def test_passkey_login__sign_counter_went_backwards__401(registered):
    assert _login(registered.get(_login_options(), sign_count=10)).status_code == 200

    cloned = _login(registered.get(_login_options(), sign_count=5))

    assert cloned.status_code == 401
    assert cloned.json()["code"] == "invalid_passkey"
    assert Passkey.objects.get().sign_count == 10
    assert AuditEvent.objects.filter(action="auth.passkey.refused").exists()


def test_passkey_login__wrong_origin__401(registered):
    response = _login(registered.get(_login_options(), origin="https://evil.example"))

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_passkey"


def test_passkey_login__options_for_another_user__401(user, other_user, registered):
    response = _login(registered.get(_login_options(other_user.email)))

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_passkey"


def test_passkey_login__deactivated_user__401(user, registered):
    user.is_active = False
    user.save()

    response = _login(registered.get(_login_options()))
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_passkey"


@pytest.mark.parametrize(
    ("credential", "status", "code"),
    [
        ([], 400, "invalid_credential"),  # not an object: refused as input
        ({}, 401, "invalid_passkey"),  # an object that does not verify: refused as a login
        ({"rawId": "x", "response": {"clientDataJSON": "e30"}}, 401, "invalid_passkey"),
    ],
)
def test_passkey_login__malformed_credential__400_or_401(credential, status, code):
    response = ContractAPIClient().post(LOGIN, {"credential": credential})

    assert response.status_code == status
    assert response.json()["code"] == code


def test_passkey_register__credential_already_registered__400(user_client, registered):
    options = user_client.post(REGISTER_OPTIONS).json()

    response = user_client.post(REGISTER, {"credential": registered.create(options), "name": "again"})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credential"
    assert Passkey.objects.count() == 1


def test_passkey_login__user_handle_of_someone_else__401(other_user, registered):
    registered.user_handle = other_user.pk.bytes

    response = _login(registered.get(_login_options()))
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_passkey"
