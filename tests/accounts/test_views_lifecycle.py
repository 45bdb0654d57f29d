"""API.md *Accounts: lifecycle*: e-mail change, account deletion, data export."""

from __future__ import annotations

import json
import re
from urllib.parse import unquote

import pytest
from django.core import mail
from django.core.files.storage import default_storage

from accounts.models import Passkey, TOTPDevice, User, UserSession
from audit.models import AuditEvent
from downloads.models import Download, File
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.accounts.mfa_support import enable_totp
from tests.downloads.factories import make_download, make_file
from tests.support.auth import ME_URL, TOKEN_URL, login
from tests.support.contract import ContractAPIClient
from tests.uploads.factories import make_upload
from uploads.models import Upload

pytestmark = pytest.mark.django_db

EMAIL_URL = "/api/v1/users/me/email/"
CONFIRM_URL = "/api/v1/users/me/email/confirm/"
DELETE_URL = "/api/v1/users/me/delete/"
EXPORT_URL = "/api/v1/users/me/export/"


def _token(message) -> str:
    return unquote(re.search(r"\?token=([^\s\"<&]+)", message.body).group(1))


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    def call(client_method, url, data):
        with django_capture_on_commit_callbacks(execute=True):
            return client_method(url, data)

    return call


# --- e-mail change ---------------------------------------------------------------------------------


def test_email_change__202_link_to_new_address_and_nothing_changes_yet(user, user_client, committed):
    old = user.email

    response = committed(user_client.post, EMAIL_URL, {"new_email": "New@Example.com", "password": DEFAULT_PASSWORD})

    assert response.status_code == 202
    [message] = mail.outbox
    assert message.to == ["new@example.com"]
    assert "/confirm-email-change?token=" in message.body
    user.refresh_from_db()
    assert user.email == old
    assert AuditEvent.objects.filter(action="user.email.change_requested", target_id=str(user.pk)).exists()


def test_email_change__wrong_password__400(user_client):
    response = user_client.post(EMAIL_URL, {"new_email": "new@example.com", "password": "wrong-password"})

    assert response.status_code == 400
    assert response.json()["code"] == "wrong_password"
    assert mail.outbox == []


def test_email_change__address_in_use__400(user_client, other_user):
    response = user_client.post(EMAIL_URL, {"new_email": other_user.email.upper(), "password": DEFAULT_PASSWORD})

    assert response.status_code == 400
    assert response.json()["code"] == "email_taken"


def test_email_change_confirm__200_new_email_notice_to_old_and_token_single_use(user, user_client, committed):
    old = user.email
    committed(user_client.post, EMAIL_URL, {"new_email": "new@example.com", "password": DEFAULT_PASSWORD})
    token = _token(mail.outbox[0])

    response = committed(user_client.post, CONFIRM_URL, {"token": token})
    again = user_client.post(CONFIRM_URL, {"token": token})

    assert response.status_code == 200
    assert response.json()["email"] == "new@example.com"
    notice = mail.outbox[1]
    assert notice.to == [old]
    assert "changed" in notice.subject
    assert again.status_code == 400 and again.json()["code"] == "invalid_token"
    assert AuditEvent.objects.filter(action="user.email.changed", target_id=str(user.pk)).exists()
    assert login(User.objects.get(pk=user.pk)).access  # signs in with the new address


def test_email_change_confirm__someone_elses_token__400(user_client, other_client, committed):
    committed(other_client.post, EMAIL_URL, {"new_email": "new@example.com", "password": DEFAULT_PASSWORD})

    response = user_client.post(CONFIRM_URL, {"token": _token(mail.outbox[0])})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_token"


def test_email_change_confirm__address_verified_by_another_meanwhile__400(user_client, committed):
    committed(user_client.post, EMAIL_URL, {"new_email": "new@example.com", "password": DEFAULT_PASSWORD})
    UserFactory(email="new@example.com", email_verified=True)

    response = user_client.post(CONFIRM_URL, {"token": _token(mail.outbox[0])})

    assert response.status_code == 400
    assert response.json()["code"] == "email_taken"


def test_email_change_confirm__bad_token__400(user_client):
    response = user_client.post(CONFIRM_URL, {"token": "garbage"})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_token"


# --- deletion --------------------------------------------------------------------------------------


def test_account_delete__204_everything_gone_and_no_login(user, committed):
    session = login(user)
    client = session.client()
    file = make_file(owner=user)
    make_download(owner=user, file=file)
    make_upload(owner=user)
    Passkey.objects.create(user=user, name="Key", credential_id=b"c", public_key=b"k")
    blob = file.storage_name
    name, email = user.display_name, user.email
    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()

    response = committed(client.post, DELETE_URL, {"password": DEFAULT_PASSWORD})

    assert response.status_code == 204
    refused = client.get(ME_URL)
    assert refused.status_code == 401  # the session is revoked at once
    assert refused.json()["code"] == "session_revoked"
    assert not UserSession.objects.filter(user=user, revoked_at__isnull=True).exists()
    assert not File.objects.filter(owner=user).exists() and not default_storage.exists(blob)
    assert not Download.objects.filter(owner=user).exists()
    assert not Upload.objects.filter(owner=user).exists()
    assert not Passkey.objects.filter(user=user).exists()
    erased = User.objects.get(pk=user.pk)
    assert erased.email.endswith("@deleted.invalid") and erased.display_name == ""
    assert not erased.is_active and not erased.has_usable_password()
    relogin = ContractAPIClient().post(TOKEN_URL, {"email": email, "password": DEFAULT_PASSWORD})
    assert relogin.status_code == 401
    assert relogin.json()["code"] == "invalid_credentials"
    deleted = AuditEvent.objects.get(action="user.deleted")
    assert deleted.target_id == str(user.pk)
    erasure = json.dumps(list(AuditEvent.objects.filter(id__gt=before, id__lte=deleted.id).values()), default=str)
    assert "file.deleted" in erasure and "model.accounts." not in erasure  # one path: the explicit user.deleted
    assert email not in erasure and (not name or name not in erasure)


def test_account_delete__wrong_password__400_and_nothing_deleted(user, user_client):
    response = user_client.post(DELETE_URL, {"password": "wrong-password"})

    assert response.status_code == 400
    assert response.json()["code"] == "wrong_password"
    assert User.objects.get(pk=user.pk).is_active


def test_account_delete__totp_on_without_or_with_wrong_code__400(user, user_client):
    enable_totp(user)

    missing = user_client.post(DELETE_URL, {"password": DEFAULT_PASSWORD})
    wrong = user_client.post(DELETE_URL, {"password": DEFAULT_PASSWORD, "code": "000000"})

    assert missing.status_code == 400 and missing.json()["code"] == "invalid_code"
    assert wrong.status_code == 400 and wrong.json()["code"] == "invalid_code"
    assert User.objects.get(pk=user.pk).is_active


def test_account_delete__totp_on_with_code__204(user, user_client):
    totp = enable_totp(user)

    response = user_client.post(DELETE_URL, {"password": DEFAULT_PASSWORD, "code": totp.code()})

    assert response.status_code == 204
    assert not TOTPDevice.objects.filter(user=user).exists()


# --- export ----------------------------------------------------------------------------------------


def test_account_export__200_profile_sessions_passkeys_files_and_own_audit_events(user, other_user):
    session = login(user)
    make_file(owner=user, name="mine.txt")
    make_file(owner=other_user, name="theirs.txt")
    Passkey.objects.create(user=user, name="Laptop", credential_id=b"c", public_key=b"k")
    login(other_user)

    response = session.client().get(EXPORT_URL)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"profile", "sessions", "passkeys", "files", "audit_events"}
    assert body["profile"]["email"] == user.email
    assert [item["current"] for item in body["sessions"]] == [True]
    assert [item["name"] for item in body["passkeys"]] == ["Laptop"]
    assert [item["name"] for item in body["files"]] == ["mine.txt"]
    assert body["audit_events"] and {event["actor"] for event in body["audit_events"]} == {str(user.pk)}
    assert AuditEvent.objects.filter(action="user.exported", actor=str(user.pk)).exists()


def test_email_change_confirm__address_held_by_unverified_account__replaces_it(user, user_client, committed):
    committed(user_client.post, EMAIL_URL, {"new_email": "new@example.com", "password": DEFAULT_PASSWORD})
    squatter = UserFactory(email="new@example.com", email_verified=False)

    response = user_client.post(CONFIRM_URL, {"token": _token(mail.outbox[0])})

    assert response.status_code == 200
    assert not User.objects.filter(pk=squatter.pk).exists()
