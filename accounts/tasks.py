"""Background work of accounts: its e-mails go through the outbox (see accounts/emails.py)."""

from accounts import emails
from background.outbox import register_sender

register_sender(emails.EMAIL_KIND, emails.deliver, policy=emails.email_policy())
