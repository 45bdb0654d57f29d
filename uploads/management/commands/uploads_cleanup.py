from django.core.management.base import BaseCommand

from uploads.maintenance import upload_cleanup_expired


class Command(BaseCommand):
    help = "Delete expired tus uploads (their partial bytes; a file an upload became stays) and orphaned partials."

    def handle(self, *args, **options):
        removed = upload_cleanup_expired()
        self.stdout.write(f"deleted: {removed} expired uploads")
