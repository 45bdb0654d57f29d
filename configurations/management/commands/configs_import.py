import json
from pathlib import Path

import yaml
from django.core.management.base import BaseCommand, CommandError

from configurations.transfer import configuration_import
from core.errors import ApplicationError, ValidationError


class Command(BaseCommand):
    help = "Import a namespace from a JSON or YAML file (configs_export's format); all or nothing."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="Validate and report; write nothing.")

    def handle(self, *args, file: str, dry_run: bool, **options) -> None:
        path = Path(file)
        try:
            text = path.read_text(encoding="utf-8")
            # JSON is YAML 1.2, but PyYAML's YAML 1.1 differs on some edge cases: JSON files take json.
            document = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
        except (OSError, ValueError, yaml.YAMLError) as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from None
        try:
            counts = configuration_import(document=document, dry_run=dry_run)
        except ValidationError as exc:
            raise CommandError(f"Nothing imported: {exc.errors}") from None
        except ApplicationError as exc:
            raise CommandError(f"Nothing imported: {exc.detail}") from None
        summary = ", ".join(f"{name}: {count}" for name, count in counts.items())
        self.stdout.write(f"{'Dry run, nothing written' if dry_run else 'Imported'} ({summary})")
