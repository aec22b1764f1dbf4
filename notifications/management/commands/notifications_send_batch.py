"""`manage.py notifications_send_batch ID [--dry-run]`: send a batch now, chunk by chunk, or
just count whom it would reach."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from notifications.models import NotificationBatch
from notifications.services import batch_process_chunk, batch_start, batch_targets


class Command(BaseCommand):
    help = "Send a notification batch now (in chunks), or count its targets with --dry-run."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("batch_id", type=int)
        parser.add_argument(
            "--dry-run", action="store_true", help="Print how many learners it targets; send none."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        batch = NotificationBatch.objects.filter(pk=options["batch_id"]).first()
        if batch is None:
            raise CommandError(f"no batch {options['batch_id']}")
        if options["dry_run"]:
            self.stdout.write(f"batch {batch.pk}: {batch_targets(batch).count()} targeted")
            return
        cursor = batch_start(batch_id=batch.pk)
        if cursor is None:
            raise CommandError(f"batch {batch.pk} is {batch.status}, not scheduled and due")
        while cursor is not None:
            cursor = batch_process_chunk(batch_id=batch.pk, after=cursor).next_cursor
        batch.refresh_from_db()
        self.stdout.write(
            f"batch {batch.pk} {batch.status}: targeted {batch.targeted}, sent {batch.sent}, "
            f"skipped {batch.skipped}, failed {batch.failed}"
        )
