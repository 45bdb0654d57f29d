from django.core.management.base import BaseCommand

from configurations.services import encryption_keys_rotate


class Command(BaseCommand):
    help = "Re-encrypt every secret value under the newest key of CONFIG_ENCRYPTION_KEYS (then drop old keys)."

    def handle(self, *args, **options) -> None:
        count = encryption_keys_rotate()
        self.stdout.write(f"Re-encrypted {count} secret values under the newest key.")
