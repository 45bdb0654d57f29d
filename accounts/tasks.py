"""Background work of accounts: its e-mails go through the outbox (see accounts/emails.py); housekeeping."""

from accounts import emails
from background.jobs import periodic_job
from background.outbox import register_sender

register_sender(emails.EMAIL_KIND, emails.deliver, policy=emails.email_policy())
periodic_job("purge_unverified_accounts", command="purge_unverified_accounts", crontab="45 * * * *")
