"""audit_export: the events of a period as JSON Lines on stdout, streamed in batches."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from audit.chain import format_timestamp
from audit.management.arguments import instant
from audit.selectors import events_between
from audit.serializers import AuditEventOutputSerializer


class Command(BaseCommand):
    help = "Export audit events with since <= timestamp < until as JSON Lines (oldest first) to stdout."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--since", type=instant, help="ISO 8601 date or date-time (inclusive).")
        parser.add_argument("--until", type=instant, help="ISO 8601 date or date-time (exclusive).")

    def handle(self, *args, since, until, **options) -> None:
        for event in events_between(since=since, until=until):
            line = dict(AuditEventOutputSerializer(event).data, timestamp=format_timestamp(event.timestamp))
            self.stdout.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")))
