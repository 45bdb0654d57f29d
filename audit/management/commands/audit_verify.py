"""audit_verify: walk the hash chain; exit 1 naming the first bad event."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from audit.verification import chain_verify


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain (exit status 1 and the first bad event when it is broken)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch-size", type=int, default=50000, help="Events checked per query.")

    def handle(self, *args, batch_size: int, **options) -> None:
        # tqdm draws only on a terminal; in cron or CI the output stays plain lines.
        with tqdm(unit="event", disable=not self.stderr.isatty(), file=self.stderr._out) as bar:

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            result = chain_verify(batch_size=max(batch_size, 1), progress=progress)
        if not result.ok:
            where = f"event {result.bad_event_id}" if result.bad_event_id is not None else "the end"
            raise CommandError(
                f"audit chain broken at {where}: {result.reason} ({result.checked:,} events verified before it)",
                returncode=1,
            )
        self.stdout.write(f"audit chain ok: {result.checked:,} events verified")
