"""API.md *Accounts: lifecycle*, registration: an unverified address is not owned until the mailbox proves it."""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO
from urllib.parse import unquote

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from accounts.models import User
from accounts.tokens import password_reset_token
from audit.models import AuditEvent
from tests.accounts.factories import UserFactory
from tests.support.auth import TOKEN_URL

pytestmark = pytest.mark.django_db

REGISTER_URL = "/api/v1/auth/register/"
VICTIM_PASSWORD = "the-victims-own-passphrase-7"
ATTACKER_PASSWORD = "the-attackers-passphrase-13"


def _token(message) -> str:
    return unquote(re.search(r"\?token=([^\s\"<&]+)", message.body).group(1))


def test_register__address_of_unverified_account__201_replaces_it_old_password_and_tokens_die(
    post_committed, api_client
):
    post_committed(REGISTER_URL, {"email": "victim@example.com", "password": ATTACKER_PASSWORD})
    squatter = User.objects.get(email="victim@example.com")
    attacker_link, attacker_reset = _token(mail.outbox[0]), password_reset_token(squatter)

    response = post_committed(REGISTER_URL, {"email": "Victim@example.com", "password": VICTIM_PASSWORD})

    assert response.status_code == 201
    user = User.objects.get(email__iexact="victim@example.com")
    assert user.pk != squatter.pk and str(user.pk) == response.json()["id"]
    assert user.check_password(VICTIM_PASSWORD)
    stale = api_client.post("/api/v1/auth/verify-email/", {"token": attacker_link})
    assert stale.status_code == 400 and stale.json()["code"] == "invalid_token"
    stale_reset = api_client.post(
        "/api/v1/auth/password/reset/confirm/", {"token": attacker_reset, "new_password": ATTACKER_PASSWORD}
    )
    assert stale_reset.status_code == 400
    assert stale_reset.json()["code"] == "invalid_token"
    verified = api_client.post("/api/v1/auth/verify-email/", {"token": _token(mail.outbox[1])})
    assert verified.status_code == 200
    attacker = api_client.post(TOKEN_URL, {"email": "victim@example.com", "password": ATTACKER_PASSWORD})
    assert attacker.status_code == 401
    assert attacker.json()["code"] == "invalid_credentials"
    assert AuditEvent.objects.filter(action="user.registration.replaced", target_id=str(squatter.pk)).exists()


def test_register__address_of_verified_account__400_email_taken(api_client):
    UserFactory(email="taken@example.com", email_verified=True)

    response = api_client.post(REGISTER_URL, {"email": "taken@example.com", "password": VICTIM_PASSWORD})

    assert response.status_code == 400
    assert response.json()["code"] == "email_taken"


def test_purge_unverified_accounts__removes_only_expired_unverified(settings):
    settings.EMAIL_VERIFICATION_TIMEOUT = 3600
    old = timezone.now() - timedelta(seconds=3601)
    expired = UserFactory(email_verified=False, date_joined=old)
    fresh = UserFactory(email_verified=False)
    verified = UserFactory(email_verified=True, date_joined=old)
    out = StringIO()

    call_command("purge_unverified_accounts", stdout=out)
    call_command("purge_unverified_accounts", stdout=out)  # idempotent

    assert not User.objects.filter(pk=expired.pk).exists()
    assert User.objects.filter(pk__in=[fresh.pk, verified.pk]).count() == 2
    assert out.getvalue().splitlines() == ["removed 1 unverified account(s)", "removed 0 unverified account(s)"]
    assert AuditEvent.objects.filter(action="user.unverified.removed", target_id=str(expired.pk)).exists()
