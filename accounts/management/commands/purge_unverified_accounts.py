"""Deletes accounts whose e-mail address was not verified within EMAIL_VERIFICATION_TIMEOUT (for the scheduler)."""

from django.core.management.base import BaseCommand

from accounts.lifecycle import users_remove_unverified_expired


class Command(BaseCommand):
    help = "Delete accounts still unverified EMAIL_VERIFICATION_TIMEOUT seconds after registration."

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"removed {users_remove_unverified_expired()} unverified account(s)")
