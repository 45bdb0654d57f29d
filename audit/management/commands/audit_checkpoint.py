"""audit_checkpoint: print (and with --write, keep) a signed checkpoint of the chain's head."""

from __future__ import annotations

import json

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from audit.checkpoints import checkpoint_create, checkpoint_write


class Command(BaseCommand):
    help = (
        "Print a signed checkpoint of the audit chain's head as JSON (Ed25519, AUDIT_SIGNING_KEY); "
        "--write also stores it in AUDIT_CHECKPOINT_DIR (the hourly job does that)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--write", action="store_true", help="Also write it to AUDIT_CHECKPOINT_DIR.")

    def handle(self, *args, write: bool, **options) -> None:
        try:
            if write:
                path = checkpoint_write()
                self.stdout.write(path.read_text().strip())
                self.stderr.write(f"written to {path}")
            else:
                self.stdout.write(json.dumps(checkpoint_create(), sort_keys=True))
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
