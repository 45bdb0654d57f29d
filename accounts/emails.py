"""The e-mails of the accounts flows: a text and an HTML part, a link under FRONTEND_URL."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string

from accounts.models import User
from accounts.tokens import email_change_token, email_verification_token, password_reset_token

logger = logging.getLogger(__name__)


def _link(path: str, token: str) -> str:
    return f"{settings.FRONTEND_URL.rstrip('/')}{path}?{urlencode({'token': token})}"


def _send(user: User, *, subject: str, template: str, link: str, valid_seconds: int, to: str | None = None) -> None:
    context = {"user": user, "link": link, "valid_hours": max(1, valid_seconds // 3600)}
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"accounts/email/{template}.txt", context),
        to=[to or user.email],
    )
    message.attach_alternative(render_to_string(f"accounts/email/{template}.html", context), "text/html")

    def deliver() -> None:
        # After the commit, so a rolled-back registration sends nothing. A mail outage must not undo the
        # account: it is logged, and the user can ask for the message again (resend, reset).
        try:
            message.send()
        except OSError:
            logger.exception("could not send the %s e-mail", template)

    transaction.on_commit(deliver)


def send_verification_email(user: User) -> None:
    link = _link(settings.EMAIL_VERIFICATION_PATH, email_verification_token(user))
    _send(
        user,
        subject="Confirm your e-mail address",
        template="verify_email",
        link=link,
        valid_seconds=settings.EMAIL_VERIFICATION_TIMEOUT,
    )


def send_password_reset_email(user: User) -> None:
    link = _link(settings.PASSWORD_RESET_PATH, password_reset_token(user))
    _send(
        user,
        subject="Reset your password",
        template="password_reset",
        link=link,
        valid_seconds=settings.PASSWORD_RESET_TIMEOUT,
    )


def send_email_change_confirmation(user: User, new_email: str) -> None:
    """To the new address: the link that makes it the account's e-mail (nothing changes before)."""
    _send(
        user,
        subject="Confirm your new e-mail address",
        template="email_change",
        link=_link(settings.EMAIL_CHANGE_PATH, email_change_token(user, new_email)),
        valid_seconds=settings.EMAIL_VERIFICATION_TIMEOUT,
        to=new_email,
    )


def send_email_changed_notice(user: User, old_email: str) -> None:
    """To the old address, once the change is done: a stolen session cannot move the account silently."""
    _send(
        user,
        subject="Your e-mail address was changed",
        template="email_changed",
        link="",
        valid_seconds=0,
        to=old_email,
    )
