"""Deletes login sessions revoked or expired more than SESSION_RETENTION seconds ago (for cron).

simplejwt's `flushexpiredtokens` does the same for its outstanding/blacklisted token lists.
"""

from django.core.management.base import BaseCommand

from accounts.session_services import sessions_delete_expired


class Command(BaseCommand):
    help = "Delete login sessions revoked or expired more than SESSION_RETENTION seconds ago."

    def handle(self, *args, **options) -> None:
        deleted = sessions_delete_expired()
        self.stdout.write(f"deleted {deleted} session(s)")
