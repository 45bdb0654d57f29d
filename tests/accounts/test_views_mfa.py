"""API.md *Accounts: second factor*: TOTP enrolment, recovery codes, the two-step login."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pyotp
import pytest
from django.test import override_settings
from django.utils import timezone

from accounts.models import MfaLoginToken, RecoveryCode, TOTPDevice, UserSession
from audit.models import AuditEvent
from tests.accounts.factories import DEFAULT_PASSWORD
from tests.accounts.mfa_support import MFA_VERIFY_URL, enable_totp, mfa_token
from tests.support.auth import ME_URL, TOKEN_URL, login

pytestmark = pytest.mark.django_db

MFA_URL = "/api/v1/auth/mfa/"
TOTP_URL = "/api/v1/auth/mfa/totp/"
CONFIRM_URL = "/api/v1/auth/mfa/totp/confirm/"
DISABLE_URL = "/api/v1/auth/mfa/totp/disable/"
RECOVERY_URL = "/api/v1/auth/mfa/recovery-codes/"


def _audit_text() -> str:
    return json.dumps(list(AuditEvent.objects.values("action", "metadata", "changes")), default=str)


# --- status and enrolment --------------------------------------------------------------------------


def test_mfa_status__fresh_account__nothing_on(user_client):
    response = user_client.get(MFA_URL)

    assert response.status_code == 200
    assert response.json() == {"totp": False, "passkeys": 0, "recovery_codes_left": 0}


def test_mfa_status__totp_on__counts_recovery_codes(user, user_client):
    enable_totp(user)

    assert user_client.get(MFA_URL).json() == {"totp": True, "passkeys": 0, "recovery_codes_left": 10}


def test_totp_enrol__right_password__201_rfc6238_secret_pending_until_confirmed(user, user_client):
    response = user_client.post(TOTP_URL, {"password": DEFAULT_PASSWORD})

    assert response.status_code == 201
    body = response.json()
    uri = urlparse(body["otpauth_uri"])
    query = parse_qs(uri.query)
    assert uri.scheme == "otpauth" and uri.netloc == "totp"
    assert query["secret"] == [body["secret"]]
    assert query.get("algorithm", ["SHA1"]) == ["SHA1"]
    assert query.get("digits", ["6"]) == ["6"] and query.get("period", ["30"]) == ["30"]
    device = TOTPDevice.objects.get(user=user)
    assert device.confirmed_at is None
    assert body["secret"] not in device.secret_encrypted  # encrypted at rest
    assert login(user).access  # pending: the password alone still signs in
    assert body["secret"] not in _audit_text()


def test_totp_enrol__wrong_password__400_wrong_password(user, user_client):
    response = user_client.post(TOTP_URL, {"password": "not-the-password"})

    assert response.status_code == 400
    assert response.json()["code"] == "wrong_password"
    assert not TOTPDevice.objects.filter(user=user).exists()


def test_totp_enrol__already_on__409(user, user_client):
    enable_totp(user)

    response = user_client.post(TOTP_URL, {"password": DEFAULT_PASSWORD})

    assert response.status_code == 409
    assert response.json()["code"] == "totp_already_enabled"


def test_totp_confirm__right_code__200_ten_recovery_codes_and_totp_on(user, user_client):
    secret = user_client.post(TOTP_URL, {"password": DEFAULT_PASSWORD}).json()["secret"]

    response = user_client.post(CONFIRM_URL, {"code": pyotp.TOTP(secret).now()})

    assert response.status_code == 200
    codes = response.json()["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert response["Cache-Control"] == "no-store"
    assert user_client.get(MFA_URL).json()["totp"] is True
    stored = set(RecoveryCode.objects.filter(user=user).values_list("code_hash", flat=True))
    assert not stored & set(codes)  # hashed
    assert "auth.mfa.totp.enabled" in _audit_text()
    assert not any(code in _audit_text() for code in codes)


@pytest.mark.parametrize("code", ["000000", "B\u00df&\u0083"], ids=["digits", "non-ascii"])
def test_totp_confirm__wrong_code__400_invalid_code_and_still_off(user, user_client, code):
    user_client.post(TOTP_URL, {"password": DEFAULT_PASSWORD})

    response = user_client.post(CONFIRM_URL, {"code": code})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_code"
    assert user_client.get(MFA_URL).json()["totp"] is False


def test_totp_confirm__nothing_pending__409(user_client):
    response = user_client.post(CONFIRM_URL, {"code": "123456"})

    assert response.status_code == 409
    assert response.json()["code"] == "totp_not_pending"


# --- disable and regenerate ------------------------------------------------------------------------


def test_totp_disable__password_and_code__204_other_sessions_revoked(user):
    totp = enable_totp(user)
    other = UserSession.objects.create(user=user, expires_at=timezone.now() + timedelta(days=1), refresh_jti="x")
    client = login_with_mfa(totp).client()

    response = client.post(DISABLE_URL, {"password": DEFAULT_PASSWORD, "code": totp.code(1)})

    assert response.status_code == 204
    other.refresh_from_db()
    assert other.revoked_at is not None
    assert client.get(ME_URL).status_code == 200  # the current session stays
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not RecoveryCode.objects.filter(user=user).exists()
    assert "auth.mfa.totp.disabled" in _audit_text()
    assert login(user).access  # the password alone works again


def test_totp_disable__recovery_code__204(user, user_client):
    totp = enable_totp(user)

    response = user_client.post(DISABLE_URL, {"password": DEFAULT_PASSWORD, "code": totp.recovery_codes[0]})

    assert response.status_code == 204


@pytest.mark.parametrize(
    ("password", "code", "error"), [("wrong-password", None, "wrong_password"), (None, "000000", "invalid_code")]
)
def test_totp_disable__wrong_password_or_code__400_and_still_on(user, user_client, password, code, error):
    totp = enable_totp(user)

    response = user_client.post(DISABLE_URL, {"password": password or DEFAULT_PASSWORD, "code": code or totp.code()})

    assert response.status_code == 400
    assert response.json()["code"] == error
    assert user_client.get(MFA_URL).json()["totp"] is True


def test_totp_disable__not_on__409(user_client):
    response = user_client.post(DISABLE_URL, {"password": DEFAULT_PASSWORD, "code": "123456"})

    assert response.status_code == 409
    assert response.json()["code"] == "totp_not_enabled"


def test_recovery_codes_regenerate__201_new_set_and_old_set_dies(user, user_client):
    totp = enable_totp(user)

    response = user_client.post(RECOVERY_URL, {"password": DEFAULT_PASSWORD})

    assert response.status_code == 201
    fresh = response.json()["recovery_codes"]
    assert len(fresh) == 10 and not set(fresh) & set(totp.recovery_codes)
    token = mfa_token(user)
    old = _verify(token, totp.recovery_codes[0])
    assert old.status_code == 401 and old.json()["code"] == "invalid_code"
    assert _verify(token, fresh[0]).status_code == 200
    assert "auth.mfa.recovery_codes.regenerated" in _audit_text()


def test_recovery_codes_regenerate__wrong_password__400(user, user_client):
    enable_totp(user)

    response = user_client.post(RECOVERY_URL, {"password": "wrong-password"})

    assert response.status_code == 400
    assert response.json()["code"] == "wrong_password"


def test_recovery_codes_regenerate__totp_off__409(user_client):
    response = user_client.post(RECOVERY_URL, {"password": DEFAULT_PASSWORD})

    assert response.status_code == 409
    assert response.json()["code"] == "totp_not_enabled"


# --- the two-step login ----------------------------------------------------------------------------


def _verify(token: str, code: str, **extra):
    from tests.support.contract import ContractAPIClient

    return ContractAPIClient().post(MFA_VERIFY_URL, {"mfa_token": token, "code": code}, **extra)


def login_with_mfa(totp, steps_ahead: int = 0):
    from tests.support.auth import Login

    response = _verify(mfa_token(totp.user), totp.code(steps_ahead))
    assert response.status_code == 200, response.content
    return Login(access=response.json()["access"], refresh=response.json()["refresh"])


def test_token__totp_on_right_password__401_mfa_required_with_token_and_methods(api_client, user):
    enable_totp(user)

    response = api_client.post(TOKEN_URL, {"email": user.email, "password": DEFAULT_PASSWORD})

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "mfa_required"
    assert body["methods"] == ["totp", "recovery_code"]
    assert len(body["mfa_token"]) >= 32
    assert "access" not in body and "refresh" not in body
    assert not UserSession.objects.filter(user=user).exists()
    assert not MfaLoginToken.objects.filter(token_hash=body["mfa_token"]).exists()  # stored hashed


def test_token__totp_on_wrong_password__plain_401_invalid_credentials(api_client, user):
    enable_totp(user)

    response = api_client.post(TOKEN_URL, {"email": user.email, "password": "wrong-password"})

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"
    assert "mfa_token" not in response.json()


def test_mfa_verify__right_code__200_token_pair_that_works(user):
    totp = enable_totp(user)

    response = _verify(mfa_token(user), totp.code())

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert response["Cache-Control"] == "no-store"
    from tests.support.auth import Login

    assert Login(body["access"], body["refresh"]).client().get(ME_URL).status_code == 200


def test_mfa_verify__wrong_code__401_and_mfa_token_stays_usable(user):
    totp = enable_totp(user)
    token = mfa_token(user)

    wrong = _verify(token, "000000")
    right = _verify(token, totp.code())

    assert wrong.status_code == 401
    assert wrong.json()["code"] == "invalid_code"
    assert right.status_code == 200
    assert AuditEvent.objects.filter(action="auth.mfa.failed", target_id=str(user.pk)).count() == 1


def test_mfa_verify__replayed_totp_code__401(user):
    totp = enable_totp(user)
    code = totp.code()
    assert _verify(mfa_token(user), code).status_code == 200

    replay = _verify(mfa_token(user), code)

    assert replay.status_code == 401
    assert replay.json()["code"] == "invalid_code"


def test_mfa_verify__replayed_mfa_token__401_invalid_mfa_token(user):
    totp = enable_totp(user)
    token = mfa_token(user)
    assert _verify(token, totp.code()).status_code == 200

    replay = _verify(token, totp.code(1))

    assert replay.status_code == 401
    assert replay.json()["code"] == "invalid_mfa_token"


def test_mfa_verify__expired_mfa_token__401(user):
    totp = enable_totp(user)
    token = mfa_token(user)
    MfaLoginToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = _verify(token, totp.code())

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_mfa_token"


def test_mfa_verify__recovery_code__works_once_and_is_audited(user):
    totp = enable_totp(user)
    code = totp.recovery_codes[3]

    first = _verify(mfa_token(user), code.upper().replace("-", " "))
    again = _verify(mfa_token(user), code)

    assert first.status_code == 200
    assert again.status_code == 401 and again.json()["code"] == "invalid_code"
    event = AuditEvent.objects.get(action="auth.mfa.recovery_code.used")
    assert event.metadata == {"remaining": 9}
    assert code not in _audit_text()


@override_settings(LOCKOUT_FAILURES=3, LOCKOUT_WINDOW=600)
def test_mfa_verify__wrong_codes_count_toward_lockout__429_even_for_right_code(user):
    totp = enable_totp(user)
    token = mfa_token(user)

    statuses = [_verify(token, "000000").status_code for _ in range(3)]
    locked = _verify(token, totp.code())

    assert statuses == [401, 401, 401]
    assert locked.status_code == 429
    assert locked.json()["code"] == "throttled"
    assert int(locked["Retry-After"]) > 0
    assert AuditEvent.objects.filter(action="auth.lockout").exists()


@override_settings(LOCKOUT_FAILURES=3, LOCKOUT_WINDOW=600)
def test_mfa_verify__right_password_between_wrong_codes__does_not_reset_the_count(api_client, user):
    enable_totp(user)

    for _ in range(3):  # a fresh mfa_token each time: the right password must not clear the failures
        assert _verify(mfa_token(user), "000000").status_code == 401
    relogin = api_client.post(TOKEN_URL, {"email": user.email, "password": DEFAULT_PASSWORD})

    assert relogin.status_code == 429
    assert relogin.json()["code"] == "throttled"


def test_mfa_verify__bad_body__400(api_client):
    response = api_client.post(MFA_VERIFY_URL, {"mfa_token": "x", "code": "1", "extra": 1})

    assert response.status_code == 400
    assert response.json()["code"] == "unknown_field"


def test_schema__documents_the_two_step_login(api_client):
    schema = api_client.get("/api/v1/schema/?format=json").json()

    unauthorized = schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]["401"]
    ref = unauthorized["content"]["application/problem+json"]["schema"]["$ref"]
    problem = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    assert {"mfa_token", "methods", "code"} <= set(problem["properties"])
    assert "mfa_required" in unauthorized["description"]
    assert "/api/v1/auth/mfa/verify/" in unauthorized["description"]
    verify = schema["paths"]["/api/v1/auth/mfa/verify/"]["post"]
    assert set(verify["responses"]) >= {"200", "401", "429"}
