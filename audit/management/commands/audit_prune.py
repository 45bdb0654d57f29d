"""audit_prune: delete old events, leaving a checkpoint so the remaining chain still verifies."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from audit.management.arguments import instant
from audit.services import events_prune


class Command(BaseCommand):
    help = "Delete audit events older than --before; a checkpoint keeps the rest of the chain verifiable."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--before", type=instant, required=True, help="ISO 8601 date or date-time (exclusive).")

    def handle(self, *args, before, **options) -> None:
        checkpoint = events_prune(before=before)
        if checkpoint is None:
            self.stdout.write("nothing to prune")
            return
        self.stdout.write(
            f"pruned {checkpoint.pruned_count:,} events up to seq {checkpoint.last_seq}; "
            f"the chain continues from checkpoint hash {checkpoint.last_hash}"
        )
