from django.core.management.base import BaseCommand

from configurations.change_requests import change_requests_apply_due


class Command(BaseCommand):
    help = "Apply the scheduled change requests that are due (the scheduler runs this every 30 s; idempotent)."

    def handle(self, *args, **options) -> None:
        applied = change_requests_apply_due()
        self.stdout.write(f"Applied {applied} scheduled change requests.")
