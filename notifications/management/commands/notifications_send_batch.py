"""`manage.py notifications_send_batch ID [--now] [--dry-run]`: send a staff batch from this
process, chunk by chunk, through the services beat's path uses (`batch_start`, then
`batch_process_chunk` until the cursor reaches the end).

A batch is in one of these states, and the command says which:

- scheduled, due: sent now (what beat would do at its next tick);
- scheduled, not due yet: refused unless `--now`, which sends it before its time;
- running (started by beat, or by an earlier run that stopped): refused unless `--now`, which
  carries on from its cursor beside any worker still on it (each chunk is applied once, under
  the batch's row lock, so nobody gets it twice);
- completed: nothing is sent again (exit 0, so `--now` can be retried safely);
- cancelled: refused.

`--dry-run` changes nothing: it prints the state, the channels, how many learners it targets
now with a sample of them, and the message the first of them would get, rendered in their
language as sending renders it.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.models import BatchStatus, NotificationBatch
from notifications.rendering import TemplateMissing
from notifications.services import batch_preview, batch_process_chunk, batch_start
from studymate_api.core.commands import OperatorCommand, Progress

SAMPLE_SIZE = 5


def _when(moment: datetime.datetime | None) -> str:
    if moment is None:
        return "-"
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _processed(batch: NotificationBatch) -> int:
    return batch.sent + batch.skipped + batch.failed


class Command(OperatorCommand):
    help = (
        "Send a notification batch now, in chunks (a due one; --now: also one not yet due or "
        "one left running), or show what it would send with --dry-run."
    )
    progress_option = True

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("batch_id", type=int)
        parser.add_argument(
            "--now",
            action="store_true",
            help="Send it even before its scheduled time, or finish one left running.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Show the targets (count and a sample) and the rendered message; send nothing.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        batch = NotificationBatch.objects.filter(pk=options["batch_id"]).first()
        if batch is None:
            raise CommandError(
                _("no notification batch with id %(id)d") % {"id": options["batch_id"]}
            )
        if options["dry_run"]:
            self._dry_run(batch)
            return
        cursor = None if batch.status == BatchStatus.COMPLETED else self._start(batch, options)
        if cursor is None:
            self.say(
                _("batch %(id)d was already sent (%(state)s); it is not sent again.")
                % {"id": batch.pk, "state": self._state(batch)}
            )
            self._totals(batch)
            return
        self._send(batch, cursor)

    # --- states ---------------------------------------------------------------------------------

    @staticmethod
    def _state(batch: NotificationBatch) -> str:
        if batch.status == BatchStatus.SCHEDULED:
            at = {"at": _when(batch.scheduled_at)}
            if batch.scheduled_at <= timezone.now():
                return _("scheduled for %(at)s, due") % at
            return _("scheduled for %(at)s, not due yet") % at
        if batch.status == BatchStatus.RUNNING:
            return _("running since %(at)s, %(processed)d of %(targeted)d learners processed") % {
                "at": _when(batch.started_at),
                "processed": _processed(batch),
                "targeted": batch.targeted,
            }
        if batch.status == BatchStatus.COMPLETED:
            return _("completed at %(at)s") % {"at": _when(batch.finished_at)}
        return _("cancelled at %(at)s") % {"at": _when(batch.cancelled_at)}

    def _start(self, batch: NotificationBatch, options: dict[str, Any]) -> int | None:
        """The cursor to send from; None when it turns out sent already; CommandError when the
        batch is not to be sent."""
        now = bool(options["now"])
        state = {"id": batch.pk, "state": self._state(batch)}
        if batch.status == BatchStatus.CANCELLED:
            raise CommandError(_("batch %(id)d is not sent: it was %(state)s.") % state)
        if batch.status == BatchStatus.RUNNING:
            if not now:
                raise CommandError(
                    _(
                        "batch %(id)d is already being sent (%(state)s): nothing done. "
                        "--now carries on from where it is, beside any worker on it "
                        "(no learner gets it twice)."
                    )
                    % state
                )
            self.say(_("batch %(id)d: carrying on (%(state)s)") % state)
            return batch.cursor
        due = batch.scheduled_at <= timezone.now()
        if not due and not now:
            raise CommandError(
                _(
                    "batch %(id)d is not sent: it is %(state)s. Beat sends it at that time; "
                    "--now sends it now."
                )
                % state
            )
        cursor = batch_start(batch_id=batch.pk, early=now)
        batch.refresh_from_db()
        if cursor is None:  # started, completed or cancelled meanwhile by someone else
            if batch.status == BatchStatus.COMPLETED:
                return None
            if batch.status == BatchStatus.RUNNING and now:
                return batch.cursor
            raise CommandError(
                _("batch %(id)d could not be started: it is now %(state)s.")
                % {"id": batch.pk, "state": self._state(batch)}
            )
        self.say(
            _("batch %(id)d started: %(targeted)d learners targeted")
            % {"id": batch.pk, "targeted": batch.targeted}
        )
        return cursor

    # --- sending --------------------------------------------------------------------------------

    def _send(self, batch: NotificationBatch, cursor: int) -> None:
        counted = _processed(batch)
        with self.progress(
            total=batch.targeted,
            description=_("Batch %(id)d") % {"id": batch.pk},
            unit=_("learners"),
        ) as bar:
            bar.update(counted)
            counted += self._chunks(batch, cursor, bar)
            batch.refresh_from_db()
            bar.update(max(0, _processed(batch) - counted))  # chunks other workers did
        self._totals(batch)

    def _chunks(self, batch: NotificationBatch, cursor: int, bar: Progress) -> int:
        """Chunk after chunk from `cursor`; following the cursor when a worker moved it."""
        processed = 0
        while True:
            result = batch_process_chunk(batch_id=batch.pk, after=cursor)
            if result.processed:
                self.detail(
                    _("chunk after learner id %(after)d: %(count)d learners")
                    % {"after": cursor, "count": result.processed}
                )
                processed += result.processed
                bar.update(result.processed)
            if result.next_cursor is not None:
                cursor = result.next_cursor
                continue
            batch.refresh_from_db()
            if batch.status == BatchStatus.RUNNING and batch.cursor != cursor:
                cursor = batch.cursor
                continue
            return processed

    def _totals(self, batch: NotificationBatch) -> None:
        values: dict[str, Any] = {
            "id": batch.pk,
            "targeted": batch.targeted,
            "sent": batch.sent,
            "skipped": batch.skipped,
            "failed": batch.failed,
        }
        if batch.status == BatchStatus.COMPLETED:
            line = _(
                "batch %(id)d completed: targeted %(targeted)d, sent %(sent)d, "
                "skipped %(skipped)d, failed %(failed)d"
            )
        else:
            values["state"] = self._state(batch)
            line = _(
                "batch %(id)d stopped (%(state)s): targeted %(targeted)d, sent %(sent)d, "
                "skipped %(skipped)d, failed %(failed)d"
            )
        style = self.style.SUCCESS if batch.status == BatchStatus.COMPLETED else None
        self.say(line % values, style=style)
        if batch.failed:
            self.warn(
                _(
                    "%(failed)d learners failed: the kind %(kind)s has no template in their "
                    "language nor in English (see the notification templates in the admin)."
                )
                % {"failed": batch.failed, "kind": batch.kind}
            )

    # --- dry run --------------------------------------------------------------------------------

    def _dry_run(self, batch: NotificationBatch) -> None:
        try:
            preview = batch_preview(batch, sample_size=SAMPLE_SIZE)
        except TemplateMissing as error:
            raise CommandError(
                _(
                    "batch %(id)d cannot be sent: the kind %(kind)s has no template in the "
                    "learners' language nor in English."
                )
                % {"id": batch.pk, "kind": batch.kind}
            ) from error
        self.say(
            _("batch %(id)d: %(kind)s to %(segment)s, %(state)s")
            % {
                "id": batch.pk,
                "kind": batch.get_kind_display(),
                "segment": batch.get_segment_display(),
                "state": self._state(batch),
            }
        )
        channels = [
            channel
            if reason is None
            else _("%(channel)s (skipped: %(reason)s)") % {"channel": channel, "reason": reason}
            for channel, reason in preview.channels
        ]
        self.say(_("channels: %(channels)s") % {"channels": ", ".join(channels)})
        self.say(
            _("recipients: %(total)d (showing %(shown)d)")
            % {"total": preview.targeted, "shown": len(preview.sample)}
        )
        for recipient in preview.sample:
            self.say(f"  #{recipient.user.pk}  {recipient.user.email}  ({recipient.language})")
        if preview.rendered is None:
            self.say(_("no learner to render the message for"))
        else:
            rendered = preview.rendered
            first = preview.sample[0]
            self.say(
                _("message for #%(user)d, in %(language)s:")
                % {"user": first.user.pk, "language": rendered.language}
            )
            self.say("  " + _("subject: %(subject)s") % {"subject": rendered.subject})
            self.say("  " + _("body:"))
            for line in rendered.text.strip().splitlines():
                self.say(f"    {line}".rstrip())
            self.detail("  " + _("push: %(text)s") % {"text": rendered.push})
            self.detail("  " + _("SMS: %(text)s") % {"text": rendered.sms})
        if batch.status == BatchStatus.COMPLETED:
            self.say(_("it was sent already: running it again sends nothing"))
        self.say(_("dry run: nothing was sent or changed"))
