"""The e-mails of the accounts flows: a text and an HTML part, a link under FRONTEND_URL.

Callers use the `send_*` functions inside their transaction; each writes an outbox row (kind "email")
naming the message and its user, and the worker builds and sends it after the commit: the request never
waits for SMTP, and a rolled-back transaction sends nothing. Tokens are minted when the mail is built,
in the worker, so no live link is ever stored in the outbox. To add a message: a builder below, one entry
in MESSAGES, and a `send_*` function calling `send_email(name, user, **params)`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from email.utils import make_msgid
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from accounts.models import User
from accounts.tokens import email_change_token, email_verification_token, password_reset_token
from background.models import OutboxMessage
from background.outbox import Cancel, enqueue
from background.policy import RetryPolicy

logger = logging.getLogger(__name__)
EMAIL_KIND = "email"


def _link(path: str, token: str) -> str:
    return f"{settings.FRONTEND_URL.rstrip('/')}{path}?{urlencode({'token': token})}"


def _message(
    user: User, *, subject: str, template: str, link: str, valid_seconds: int, to: str | None = None
) -> EmailMultiAlternatives:
    context = {"user": user, "link": link, "valid_hours": max(1, valid_seconds // 3600)}
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"accounts/email/{template}.txt", context),
        to=[to or user.email],
    )
    message.attach_alternative(render_to_string(f"accounts/email/{template}.html", context), "text/html")
    return message


def _verification(user: User) -> EmailMultiAlternatives:
    if user.email_verified:
        raise Cancel("the address is verified already")
    return _message(
        user,
        subject="Confirm your e-mail address",
        template="verify_email",
        link=_link(settings.EMAIL_VERIFICATION_PATH, email_verification_token(user)),
        valid_seconds=settings.EMAIL_VERIFICATION_TIMEOUT,
    )


def _password_reset(user: User) -> EmailMultiAlternatives:
    return _message(
        user,
        subject="Reset your password",
        template="password_reset",
        link=_link(settings.PASSWORD_RESET_PATH, password_reset_token(user)),
        valid_seconds=settings.PASSWORD_RESET_TIMEOUT,
    )


def _email_change(user: User, new_email: str) -> EmailMultiAlternatives:
    return _message(
        user,
        subject="Confirm your new e-mail address",
        template="email_change",
        link=_link(settings.EMAIL_CHANGE_PATH, email_change_token(user, new_email)),
        valid_seconds=settings.EMAIL_VERIFICATION_TIMEOUT,
        to=new_email,
    )


def _email_changed(user: User, old_email: str) -> EmailMultiAlternatives:
    return _message(
        user,
        subject="Your e-mail address was changed",
        template="email_changed",
        link="",
        valid_seconds=0,
        to=old_email,
    )


MESSAGES: dict[str, Callable[..., EmailMultiAlternatives]] = {
    "verify_email": _verification,
    "password_reset": _password_reset,
    "email_change": _email_change,
    "email_changed": _email_changed,
}


def send_email(name: str, user: User, **params: str) -> OutboxMessage:
    """Queue message `name` for `user` (params: JSON-able keyword arguments of its builder)."""
    if name not in MESSAGES:
        raise ValueError(f"unknown e-mail {name!r}")
    return enqueue(EMAIL_KIND, {"message": name, "user_id": str(user.pk), "params": params})


def send_verification_email(user: User) -> None:
    send_email("verify_email", user)


def send_password_reset_email(user: User) -> None:
    send_email("password_reset", user)


def send_email_change_confirmation(user: User, new_email: str) -> None:
    """To the new address: the link that makes it the account's e-mail (nothing changes before)."""
    send_email("email_change", user, new_email=new_email)


def send_email_changed_notice(user: User, old_email: str) -> None:
    """To the old address, once the change is done: a stolen session cannot move the account silently."""
    send_email("email_changed", user, old_email=old_email)


def deliver(outbox_message: OutboxMessage) -> None:
    """The outbox sender of kind "email" (in the worker): build the message now and send it over SMTP.

    The Message-ID is fixed per outbox row, so in the one window no outbox can close (the server took
    the message, the worker died before recording it) the receiving side sees a duplicate it can drop."""
    payload = outbox_message.payload
    user = User.objects.filter(pk=payload.get("user_id"), is_active=True).first()
    if user is None:
        raise Cancel("the user is gone or inactive")
    message = MESSAGES[payload["message"]](user, **payload.get("params", {}))
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"
    message.extra_headers["Message-ID"] = make_msgid(idstring=f"outbox-{outbox_message.pk}", domain=domain)
    message.send()


def email_policy() -> RetryPolicy:
    # EMAIL_TIMEOUT bounds each SMTP operation; a try is a handful of them, so the lease allows six.
    return RetryPolicy(first_delay=15, max_delay=600, give_up_after=3600, lease=6 * settings.EMAIL_TIMEOUT)
