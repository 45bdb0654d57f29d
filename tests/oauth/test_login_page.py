"""/o/login/: a CSRF-protected HTML form with the API login's lockout and audit, then the TOTP step."""

from __future__ import annotations

import pytest
from django.test import Client

from audit.models import AuditEvent
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.accounts.mfa_support import enable_totp
from tests.oauth.browser import hidden_fields

pytestmark = pytest.mark.django_db
LOGIN = "/o/login/"
NEXT = "/o/authorize/?client_id=x"


@pytest.fixture
def browser() -> Client:
    return Client(enforce_csrf_checks=True)


def _post(browser: Client, **data: str):
    fields = hidden_fields(browser.get(LOGIN, {"next": NEXT}).content.decode())
    return browser.post(LOGIN, {**fields, **data})


def test_get__form_with_csrf_token_and_a_page_csp(browser):
    response = browser.get(LOGIN)

    assert response.status_code == 200
    assert "csrfmiddlewaretoken" in hidden_fields(response.content.decode())
    assert "form-action 'self'" in response["Content-Security-Policy"]
    assert "X-Frame-Options" in response


def test_post_without_csrf_token__403(browser, user):
    response = browser.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD})

    assert response.status_code == 403
    assert "_auth_user_id" not in browser.session


def test_right_password__session_and_back_to_the_authorization_request(browser, user):
    response = _post(browser, email=user.email, password=DEFAULT_PASSWORD)

    assert response.status_code == 302 and response["Location"] == NEXT
    assert browser.session["_auth_user_id"] == str(user.pk)
    event = AuditEvent.objects.get(action="auth.login.succeeded")
    assert event.metadata["channel"] == "oauth"


def test_next_outside_o__not_followed(browser, user):
    fields = hidden_fields(browser.get(LOGIN, {"next": "https://evil.example/"}).content.decode())

    response = browser.post(LOGIN, {**fields, "email": user.email, "password": DEFAULT_PASSWORD})

    assert response["Location"] == LOGIN


def test_wrong_password__401_audited__then_locked_out_429(browser, user, settings):
    settings.LOCKOUT_FAILURES = 2
    first = _post(browser, email=user.email, password="wrong-password-1")
    second = _post(browser, email=user.email, password="wrong-password-2")

    locked = _post(browser, email=user.email, password=DEFAULT_PASSWORD)

    assert first.status_code == second.status_code == 401
    assert locked.status_code == 429 and int(locked["Retry-After"]) > 0
    assert "_auth_user_id" not in browser.session
    failed = AuditEvent.objects.filter(action="auth.login.failed")
    assert failed.count() == 2 and {event.metadata["channel"] for event in failed} == {"oauth"}
    assert AuditEvent.objects.filter(action="auth.lockout").exists()


def test_unverified_address__403(browser):
    unverified_user = UserFactory(email_verified=False)
    response = _post(browser, email=unverified_user.email, password=DEFAULT_PASSWORD)

    assert response.status_code == 403
    assert b"Confirm your e-mail address" in response.content


def test_invalid_form__400(browser):
    assert _post(browser, email="not-an-address", password="x").status_code == 400


def test_totp_on__password_alone_opens_nothing__right_code_does(browser, user):
    totp = enable_totp(user)

    step = _post(browser, email=user.email, password=DEFAULT_PASSWORD)
    assert step.status_code == 200 and b'name="code"' in step.content
    assert "_auth_user_id" not in browser.session
    fields = hidden_fields(step.content.decode())
    wrong = browser.post(LOGIN, {**fields, "code": "000000" if totp.code() != "000000" else "111111"})
    assert wrong.status_code == 401 and "_auth_user_id" not in browser.session
    fields = hidden_fields(wrong.content.decode())

    done = browser.post(LOGIN, {**fields, "code": totp.code()})

    assert done.status_code == 302 and done["Location"] == NEXT
    assert browser.session["_auth_user_id"] == str(user.pk)
    assert AuditEvent.objects.filter(action="auth.mfa.failed").count() == 1


def test_consent_page__csp_lets_the_form_go_to_the_client_only(client, user, make_client_in_process):
    credentials = make_client_in_process()
    client.force_login(user)

    response = client.get(
        "/o/authorize/",
        {
            "response_type": "code",
            "client_id": credentials.client_id,
            "redirect_uri": "https://app.example/cb",
            "scope": "openid",
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "code_challenge_method": "S256",
        },
    )

    assert response.status_code == 200
    assert b'name="allow"' in response.content and b'name="deny"' in response.content
    assert "form-action 'self' https://app.example" in response["Content-Security-Policy"]
