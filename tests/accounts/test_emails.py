"""End to end through a real SMTP server (aiosmtpd): register, receive the e-mail, verify, log in."""

from __future__ import annotations

import email
import email.policy
import re
from urllib.parse import unquote

import environ
import pytest
from aiosmtpd.controller import Controller
from django.test import override_settings

from background.models import OutboxMessage
from tests.support.auth import TOKEN_URL
from tests.support.servers import free_port

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-enough-passphrase-7"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd's handler hook
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


@pytest.fixture
def smtp_inbox():
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with override_settings(**environ.Env.email_url_config(f"smtp://127.0.0.1:{port}")):
            yield inbox
    finally:
        controller.stop()


def test_registration__through_real_smtp__text_and_html_link_verifies(smtp_inbox, post_committed, settings):
    settings.FRONTEND_URL = "https://front.example.test/"

    registered = post_committed("/api/v1/auth/register/", {"email": "smtp@example.com", "password": PASSWORD})
    before = post_committed(TOKEN_URL, {"email": "smtp@example.com", "password": PASSWORD})

    assert registered.status_code == 201
    assert before.status_code == 403
    assert before.json()["code"] == "email_not_verified"
    [message] = smtp_inbox.messages
    assert message["To"] == "smtp@example.com"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    link = re.search(r"https://front\.example\.test/verify-email\?token=(\S+)", text)
    assert link, text
    assert link.group(0) in html
    token = unquote(link.group(1))

    verified = post_committed("/api/v1/auth/verify-email/", {"token": token})
    after = post_committed(TOKEN_URL, {"email": "smtp@example.com", "password": PASSWORD})

    assert verified.status_code == 200
    assert after.status_code == 200


def test_registration__smtp_down__account_kept_and_mail_left_for_a_retry(post_committed, caplog):
    with override_settings(**environ.Env.email_url_config(f"smtp://127.0.0.1:{free_port()}")):
        response = post_committed("/api/v1/auth/register/", {"email": "down@example.com", "password": PASSWORD})

    assert response.status_code == 201
    assert "outbox message failed, retry in" in caplog.text
    [message] = OutboxMessage.objects.all()
    assert (message.kind, message.status, message.attempts) == ("email", "pending", 1)
