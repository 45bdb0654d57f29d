"""audit_verify: walk the hash chain; exit 1 naming the first bad event."""
from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from audit.verification import chain_verify


def _progress_bar(stream):
    # One self-overwriting line is all a progress bar needs here; not worth a dependency (tqdm).
    def show(done: int, total: int) -> None:
        width = 40
        filled = width * done // total if total else width
        stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,}")
        stream.flush()

    return show


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain (exit status 1 and the first bad event when it is broken)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch-size", type=int, default=5000, help="Events read per query.")

    def handle(self, *args, batch_size: int, **options) -> None:
        progress = _progress_bar(sys.stderr) if sys.stderr.isatty() else None
        result = chain_verify(batch_size=max(batch_size, 1), progress=progress)
        if progress is not None:
            sys.stderr.write("\n")
        if not result.ok:
            raise CommandError(
                f"audit chain broken at event {result.bad_event_id}: {result.reason} "
                f"({result.checked:,} events verified before it)",
                returncode=1,
            )
        self.stdout.write(f"audit chain ok: {result.checked:,} events verified")
