import json

from django.core.management.base import BaseCommand, CommandError

from configurations.transfer import configuration_export
from core.errors import NotFoundError


class Command(BaseCommand):
    help = "Print a namespace (or one of its environments) as JSON; secret values only with --include-secrets."

    def add_arguments(self, parser) -> None:
        parser.add_argument("namespace")
        parser.add_argument("environment", nargs="?")
        parser.add_argument("--include-secrets", action="store_true", help="Export secret values in clear.")

    def handle(self, *args, namespace: str, environment: str | None, include_secrets: bool, **options) -> None:
        try:
            document = configuration_export(
                namespace=namespace, environment=environment, include_secrets=include_secrets
            )
        except NotFoundError as exc:
            raise CommandError(exc.detail) from None
        self.stdout.write(json.dumps(document, indent=2, ensure_ascii=False))
