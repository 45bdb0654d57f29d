"""audit_verify: walk the hash chain; exit 1 naming the first bad event."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from audit.checkpoints import Checkpoint, CheckpointError, checkpoint_extended, checkpoint_parse, load_public_key
from audit.verification import chain_verify


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain (exit status 1 and the first bad event when it is broken)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch-size", type=int, default=50000, help="Events checked per query.")
        parser.add_argument(
            "--checkpoint",
            type=Path,
            help="A signed checkpoint (audit_checkpoint): exit 1 unless the trail still extends it.",
        )
        parser.add_argument(
            "--public-key",
            type=Path,
            help="Verify the checkpoint's signature with this Ed25519 public key (PEM) instead of AUDIT_SIGNING_KEY.",
        )

    def handle(self, *args, batch_size: int, checkpoint: Path | None, public_key: Path | None, **options) -> None:
        signed = self._checkpoint(checkpoint, public_key) if checkpoint else None
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
        if signed is not None:
            try:
                checkpoint_extended(signed)
            except CheckpointError as exc:
                raise CommandError(f"audit trail does not extend the checkpoint: {exc}", returncode=1) from exc
            self.stdout.write(f"checkpoint ok: the trail extends seq {signed.seq}")
        self.stdout.write(f"audit chain ok: {result.checked:,} events verified")

    def _checkpoint(self, path: Path, public_key: Path | None) -> Checkpoint:
        try:
            return checkpoint_parse(path.read_text(), load_public_key(public_key) if public_key else None)
        except (OSError, ImproperlyConfigured, CheckpointError, ValueError) as exc:
            raise CommandError(f"checkpoint {path}: {exc}", returncode=1) from exc
