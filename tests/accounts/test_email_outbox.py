"""Accounts e-mails go through the outbox: no live link stored, built and sent by the worker, once."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core import mail

from background.delivery import deliver
from background.models import OutboxMessage
from config.settings.env import CONFIG_ERROR_EXIT
from tests.accounts.factories import UserFactory
from tests.support.servers import ROOT

pytestmark = pytest.mark.django_db


def test_register__request__commits_an_outbox_row_without_the_token(api_client):
    response = api_client.post("/api/v1/auth/register/", {"email": "o@example.com", "password": "a-long-passphrase-9"})

    assert response.status_code == 201
    [message] = OutboxMessage.objects.all()
    assert message.kind == "email"
    assert message.payload == {"message": "verify_email", "user_id": response.json()["id"], "params": {}}
    assert message.request_id == response["X-Request-ID"]
    assert mail.outbox == []  # not sent inside the request


def test_email_delivery__built_in_the_worker__stable_message_id_per_row(post_committed):
    user = UserFactory(email="reset@example.com")

    post_committed("/api/v1/auth/password/reset/", {"email": user.email})

    [row] = OutboxMessage.objects.all()
    [message] = mail.outbox
    assert row.status == "sent"
    assert "/reset-password?token=" in message.body
    assert f"outbox-{row.pk}@localhost" in message.extra_headers["Message-ID"]


def test_email_delivery__user_deleted_before_sending__cancelled(api_client):
    user = UserFactory(email_verified=False)
    api_client.post("/api/v1/auth/verify-email/resend/", {"email": user.email})
    user.delete()

    [row] = OutboxMessage.objects.all()
    assert deliver(row.pk) == "cancelled"
    assert mail.outbox == []


def test_email_delivery__verified_meanwhile__verification_mail_cancelled(api_client):
    user = UserFactory(email_verified=False)
    api_client.post("/api/v1/auth/verify-email/resend/", {"email": user.email})
    user.email_verified = True
    user.save()

    [row] = OutboxMessage.objects.all()
    assert deliver(row.pk) == "cancelled"


def _check(tmp_path, **env: str) -> subprocess.CompletedProcess:
    clean = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "PYTEST_"))}
    for name in ("DEBUG", "TESTING", "DATABASE_URL", "REDIS_URL", "EMAIL_URL"):
        clean.pop(name, None)
    clean.update(
        VAR_DIR=str(tmp_path / "var"),
        DJANGO_SETTINGS_MODULE="config.settings.base",
        SECRET_KEY="x" * 50,
        **env,
    )
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("email_url", [None, "consolemail://"])
def test_start_up__production_without_a_real_email_url__refuses_with_one_line(tmp_path, email_url):
    result = _check(tmp_path, **({"EMAIL_URL": email_url} if email_url else {}))

    assert result.returncode == CONFIG_ERROR_EXIT
    assert result.stderr.startswith("configuration error: EMAIL_URL is not set")
    assert result.stderr.count("\n") == 1, result.stderr


def test_start_up__production_with_smtp_or_debug_console__starts(tmp_path):
    assert _check(tmp_path, EMAIL_URL="smtp://127.0.0.1:1025").returncode == 0
    assert _check(tmp_path, DEBUG="true").returncode == 0
