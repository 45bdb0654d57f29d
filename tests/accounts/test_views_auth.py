"""API.md *Accounts*, the /auth/ rows: registration, verification, tokens, logout, sessions, passwords."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from accounts.models import User, UserSession
from audit.models import AuditEvent
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.support.auth import ME_URL, REFRESH_URL, TOKEN_URL, login

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-passphrase-42"


def _token_from_mail(message) -> str:
    match = re.search(r"\?token=([^\s\"<&]+)", message.body)
    assert match, message.body
    from urllib.parse import unquote

    return unquote(match.group(1))


def _actions() -> list[str]:
    return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


# --- registration and verification -----------------------------------------------------------------


def test_register__valid__returns_201_unverified_and_sends_verification_email(post_committed, settings):
    settings.FRONTEND_URL = "https://app.example.test"

    response = post_committed(
        "/api/v1/auth/register/", {"email": "New@Example.com", "password": NEW_PASSWORD, "display_name": "New"}
    )

    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "new@example.com"
    assert body["email_verified"] is False
    assert body["role"] == "viewer"
    assert "password" not in body
    user = User.objects.get(email="new@example.com")
    assert list(user.groups.values_list("name", flat=True)) == ["viewer"]
    assert user.password.startswith(("argon2", "md5"))
    [message] = mail.outbox
    assert message.to == ["new@example.com"]
    assert "https://app.example.test/verify-email?token=" in message.body
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert "https://app.example.test/verify-email?token=" in html


@pytest.mark.parametrize("password", ["short1", "password1234", "123456789012345"])
def test_register__weak_password__returns_400_and_creates_nothing(api_client, password):
    response = api_client.post("/api/v1/auth/register/", {"email": "weak@example.com", "password": password})

    assert response.status_code == 400
    assert response.json()["code"] == "weak_password"
    assert response.json()["errors"][0]["field"] == "password"
    assert not User.objects.filter(email="weak@example.com").exists()
    assert mail.outbox == []


def test_register__duplicate_email_any_case__returns_400_email_taken(api_client, user):
    response = api_client.post("/api/v1/auth/register/", {"email": user.email.upper(), "password": NEW_PASSWORD})

    assert response.status_code == 400
    assert response.json()["code"] == "email_taken"


def test_register__unknown_field__returns_400(api_client):
    response = api_client.post(
        "/api/v1/auth/register/", {"email": "x@example.com", "password": NEW_PASSWORD, "role": "admin"}
    )

    assert response.status_code == 400
    assert response.json()["code"] == "unknown_field"
    assert not User.objects.filter(email="x@example.com").exists()


def test_verify_email__token_from_email__verifies_once(api_client, post_committed):
    post_committed("/api/v1/auth/register/", {"email": "v@example.com", "password": NEW_PASSWORD})
    token = _token_from_mail(mail.outbox[0])

    first = api_client.post("/api/v1/auth/verify-email/", {"token": token})
    second = api_client.post("/api/v1/auth/verify-email/", {"token": token})

    assert first.status_code == 200
    assert first.json()["email_verified"] is True
    assert User.objects.get(email="v@example.com").email_verified
    assert second.status_code == 400
    assert second.json()["code"] == "invalid_token"


@pytest.mark.parametrize("token", ["garbage", "a" * 200, "eyJ1IjoiMSJ9:1abc:def"])
def test_verify_email__bad_token__returns_400(api_client, token):
    response = api_client.post("/api/v1/auth/verify-email/", {"token": token})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_token"


def test_verify_email__expired_token__returns_400(api_client, unverified_user, settings):
    from accounts.tokens import email_verification_token

    token = email_verification_token(unverified_user)
    settings.EMAIL_VERIFICATION_TIMEOUT = -1

    response = api_client.post("/api/v1/auth/verify-email/", {"token": token})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_token"
    unverified_user.refresh_from_db()
    assert not unverified_user.email_verified


@pytest.mark.parametrize("kind", ["unverified", "verified", "unknown"])
def test_verify_email_resend__any_address__returns_202_same_body(post_committed, unverified_user, user, kind):
    email = {"unverified": unverified_user.email, "verified": user.email, "unknown": "nobody@example.com"}[kind]

    response = post_committed("/api/v1/auth/verify-email/resend/", {"email": email})

    assert response.status_code == 202
    assert response.json() == {"detail": "If the address belongs to an account, an e-mail is on its way."}
    assert len(mail.outbox) == (1 if kind == "unverified" else 0)


# --- tokens -----------------------------------------------------------------------------------------


def test_token__valid_credentials__returns_pair_and_opens_session(api_client, user):
    response = api_client.post(
        TOKEN_URL, {"email": user.email.upper(), "password": DEFAULT_PASSWORD}, HTTP_USER_AGENT="pytest-agent"
    )

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert 0 < body["expires_in"] <= 300
    assert response["Cache-Control"] == "no-store"
    session = UserSession.objects.get(user=user)
    assert session.user_agent == "pytest-agent"
    assert session.ip == "127.0.0.1"
    assert "auth.login.succeeded" in _actions()
    me = api_client.get(ME_URL, HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert me.status_code == 200
    assert me.json()["email"] == user.email


def test_token__wrong_password_and_unknown_email__return_identical_401(api_client, user):
    wrong = api_client.post(TOKEN_URL, {"email": user.email, "password": "not-the-password"})
    unknown = api_client.post(TOKEN_URL, {"email": "nobody@example.com", "password": "not-the-password"})

    assert wrong.status_code == unknown.status_code == 401
    strip = lambda body: {k: v for k, v in body.items() if k != "request_id"}  # noqa: E731
    assert strip(wrong.json()) == strip(unknown.json())
    assert wrong.json()["code"] == "invalid_credentials"
    assert _actions().count("auth.login.failed") == 2
    assert not AuditEvent.objects.filter(metadata__has_key="password").exists()


def test_token__unverified_user__returns_403_email_not_verified(api_client, unverified_user):
    response = api_client.post(TOKEN_URL, {"email": unverified_user.email, "password": DEFAULT_PASSWORD})

    assert response.status_code == 403
    assert response.json()["code"] == "email_not_verified"
    assert not UserSession.objects.exists()


def test_token__inactive_user__returns_401(api_client):
    user = UserFactory(is_active=False)

    response = api_client.post(TOKEN_URL, {"email": user.email, "password": DEFAULT_PASSWORD})

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


def test_refresh__rotates__old_refresh_dead_new_pair_works(api_client, session_login):
    response = api_client.post(REFRESH_URL, {"refresh": session_login.refresh})

    assert response.status_code == 200
    body = response.json()
    assert body["refresh"] != session_login.refresh
    assert api_client.get(ME_URL, HTTP_AUTHORIZATION=f"Bearer {body['access']}").status_code == 200
    again = api_client.post(REFRESH_URL, {"refresh": body["refresh"]})
    assert again.status_code == 200


def test_refresh__rotated_token_presented_again__401_and_whole_session_revoked(api_client, session_login):
    rotated = api_client.post(REFRESH_URL, {"refresh": session_login.refresh}).json()

    reuse = api_client.post(REFRESH_URL, {"refresh": session_login.refresh})

    assert reuse.status_code == 401
    assert reuse.json()["code"] == "token_reused"
    rotated_refresh = api_client.post(REFRESH_URL, {"refresh": rotated["refresh"]})
    assert rotated_refresh.status_code == 401 and rotated_refresh.json()["code"] == "token_not_valid"
    rotated_access = api_client.get(ME_URL, HTTP_AUTHORIZATION=f"Bearer {rotated['access']}")
    assert rotated_access.status_code == 401 and rotated_access.json()["code"] == "session_revoked"
    assert UserSession.objects.get().revoked_reason == "token_reuse"
    assert "auth.token.reuse_detected" in _actions()


@pytest.mark.parametrize(
    ("refresh", "status", "code"),
    [("", 400, "blank"), ("garbage", 401, "token_not_valid"), ("a.b.c", 401, "token_not_valid")],
)
def test_refresh__invalid_token__returns_4xx(api_client, refresh, status, code):
    response = api_client.post(REFRESH_URL, {"refresh": refresh})

    assert response.status_code == status
    assert response.json()["code"] == code


def test_refresh__access_token_as_refresh__returns_401(api_client, session_login):
    response = api_client.post(REFRESH_URL, {"refresh": session_login.access})

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


# --- logout and sessions ---------------------------------------------------------------------------


def test_logout__revokes_refresh_and_access_at_once(session_login):
    client = session_login.client()

    response = client.post("/api/v1/auth/logout/", {"refresh": session_login.refresh})

    assert response.status_code == 204
    refused = client.get(ME_URL)
    assert refused.status_code == 401
    assert refused.json()["code"] == "session_revoked"
    refresh = client.post(REFRESH_URL, {"refresh": session_login.refresh})
    assert refresh.status_code == 401 and refresh.json()["code"] == "session_revoked"
    assert "auth.logout" in _actions()


def test_logout__other_users_refresh__401_and_their_session_lives(user, other_user):
    mine, theirs = login(user), login(other_user)

    response = mine.client().post("/api/v1/auth/logout/", {"refresh": theirs.refresh})

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"
    assert theirs.client().get(ME_URL).status_code == 200


def test_logout_all__revokes_every_session_of_the_user(user, other_user):
    first, second, others = login(user), login(user), login(other_user)

    response = first.client().post("/api/v1/auth/logout-all/")

    assert response.status_code == 204
    answer = first.client().get(ME_URL)
    assert answer.status_code == 401
    assert answer.json()["code"] == "session_revoked"
    refused = second.client().get(ME_URL)
    assert refused.status_code == 401
    assert refused.json()["code"] == "session_revoked"
    assert others.client().get(ME_URL).status_code == 200


def test_sessions__list_shows_live_sessions_and_marks_current(user, other_user):
    first, second = login(user, HTTP_USER_AGENT="agent-one"), login(user, HTTP_USER_AGENT="agent-two")
    login(other_user)
    second.client().post("/api/v1/auth/logout/", {"refresh": second.refresh})

    response = first.client().get("/api/v1/auth/sessions/")

    assert response.status_code == 200
    [session] = response.json()["results"]
    assert session["current"] is True
    assert session["user_agent"] == "agent-one"
    assert set(session) >= {"id", "created_at", "last_used_at", "ip", "user_agent", "current"}


def test_sessions__delete_own__204_and_its_tokens_die(user):
    keeper, victim = login(user), login(user)
    victim_id = (
        UserSession.objects.exclude(
            pk__in=[s["id"] for s in keeper.client().get("/api/v1/auth/sessions/").json()["results"] if s["current"]]
        )
        .get()
        .pk
    )

    response = keeper.client().delete(f"/api/v1/auth/sessions/{victim_id}/")

    assert response.status_code == 204
    refused = victim.client().get(ME_URL)
    assert refused.status_code == 401
    assert refused.json()["code"] == "session_revoked"
    assert keeper.client().get(ME_URL).status_code == 200


def test_sessions__delete_other_users__returns_404(user, other_user):
    login(other_user)
    theirs = UserSession.objects.get(user=other_user)

    response = login(user).client().delete(f"/api/v1/auth/sessions/{theirs.pk}/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


# --- passwords -------------------------------------------------------------------------------------


def test_password_change__204_other_sessions_revoked_current_kept(user):
    current, other = login(user), login(user)

    response = current.client().post(
        "/api/v1/auth/password/change/", {"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD}
    )

    assert response.status_code == 204
    assert current.client().get(ME_URL).status_code == 200
    refused = other.client().get(ME_URL)
    assert refused.status_code == 401
    assert refused.json()["code"] == "session_revoked"
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert "auth.password.changed" in _actions()


def test_password_change__wrong_current__400_and_password_unchanged(user):
    response = (
        login(user)
        .client()
        .post("/api/v1/auth/password/change/", {"current_password": "wrong-password!", "new_password": NEW_PASSWORD})
    )

    assert response.status_code == 400
    assert response.json()["code"] == "wrong_password"
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_password_change__weak_new__returns_400(user_client):
    response = user_client.post(
        "/api/v1/auth/password/change/", {"current_password": DEFAULT_PASSWORD, "new_password": "short"}
    )

    assert response.status_code == 400
    assert response.json()["code"] == "weak_password"


@pytest.mark.parametrize("known", [True, False])
def test_password_reset__any_address__202_and_mail_only_for_accounts(post_committed, user, known):
    response = post_committed("/api/v1/auth/password/reset/", {"email": user.email if known else "no@example.com"})

    assert response.status_code == 202
    assert len(mail.outbox) == (1 if known else 0)


def test_password_reset_confirm__single_use_and_revokes_all_sessions(api_client, post_committed, user):
    session = login(user)
    post_committed("/api/v1/auth/password/reset/", {"email": user.email})
    token = _token_from_mail(mail.outbox[0])
    assert mail.outbox[0].alternatives[0][1] == "text/html"

    response = api_client.post("/api/v1/auth/password/reset/confirm/", {"token": token, "new_password": NEW_PASSWORD})
    again = api_client.post("/api/v1/auth/password/reset/confirm/", {"token": token, "new_password": NEW_PASSWORD})

    assert response.status_code == 204
    assert again.status_code == 400
    assert again.json()["code"] == "invalid_token"
    refused = session.client().get(ME_URL)
    assert refused.status_code == 401
    assert refused.json()["code"] == "session_revoked"
    assert login(user, NEW_PASSWORD).access
    assert "auth.password.reset" in _actions()


def test_password_reset_confirm__weak_password__400_and_token_still_usable(api_client, user):
    from accounts.tokens import password_reset_token

    token = password_reset_token(user)

    weak = api_client.post("/api/v1/auth/password/reset/confirm/", {"token": token, "new_password": "short"})
    good = api_client.post("/api/v1/auth/password/reset/confirm/", {"token": token, "new_password": NEW_PASSWORD})

    assert weak.status_code == 400
    assert weak.json()["code"] == "weak_password"
    assert good.status_code == 204


@pytest.mark.parametrize("token", ["garbage", "bm90LWEtdXVpZA.abc-def", "!!!.abc"])
def test_password_reset_confirm__bad_token__returns_400(api_client, token):
    response = api_client.post("/api/v1/auth/password/reset/confirm/", {"token": token, "new_password": NEW_PASSWORD})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_token"
