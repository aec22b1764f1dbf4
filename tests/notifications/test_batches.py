"""Staff batches: segments, bounded chunks with exact counters, cancel, the command (more of
it in test_send_batch_command.py)."""

from __future__ import annotations

import datetime
import io
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import User
from notifications.models import BatchStatus, Notification, NotificationBatch, Segment
from notifications.services import (
    batch_cancel,
    batch_process_chunk,
    batch_start,
    batch_targets,
    preference_update,
)
from notifications.tasks import start_due_batches
from study.services.progress import progress_log
from study.services.subjects import subject_create
from tests.factories import UserFactory

ANNOUNCEMENT = {"title": "Exam season", "message": "Study rooms are open all night."}


def _batch(**fields: Any) -> NotificationBatch:
    values: dict[str, Any] = {
        "kind": "announcement",
        "segment": Segment.ALL_LEARNERS,
        "context": ANNOUNCEMENT,
        "channels": ["in_app"],
        "scheduled_at": timezone.now(),
        **fields,
    }
    return NotificationBatch.objects.create(**values)


def _bulk_learners(count: int) -> None:
    User.objects.bulk_create(
        User(email=f"bulk{i}@example.com", username=f"bulk{i}", password="!") for i in range(count)
    )


def test_ten_thousand_learners_in_bounded_chunks_with_exact_counts(db: Any, settings: Any) -> None:
    settings.NOTIFICATIONS_BATCH_CHUNK_SIZE = 1000
    _bulk_learners(10_000)
    staff = UserFactory.create(is_staff=True)
    batch = _batch(created_by=staff)

    cursor = batch_start(batch_id=batch.pk)
    sizes = []
    while cursor is not None:
        result = batch_process_chunk(batch_id=batch.pk, after=cursor)
        sizes.append(result.processed)
        cursor = result.next_cursor

    assert sizes == [1000] * 10 + [0]
    batch.refresh_from_db()
    assert batch.status == BatchStatus.COMPLETED
    assert (batch.targeted, batch.sent, batch.skipped, batch.failed) == (10_000, 10_000, 0, 0)
    assert Notification.objects.filter(dedup_key=f"batch:{batch.pk}").count() == 10_000
    assert not Notification.objects.filter(user=staff).exists()


def test_a_chunk_task_delivered_twice_counts_once(db: Any, settings: Any) -> None:
    settings.NOTIFICATIONS_BATCH_CHUNK_SIZE = 2
    _bulk_learners(3)
    batch = _batch()
    cursor = batch_start(batch_id=batch.pk)
    assert cursor is not None
    assert batch_start(batch_id=batch.pk) is None  # already running
    first = batch_process_chunk(batch_id=batch.pk, after=cursor)
    again = batch_process_chunk(batch_id=batch.pk, after=cursor)
    assert (first.processed, again.processed, again.next_cursor) == (2, 0, None)
    batch.refresh_from_db()
    assert (batch.sent, batch.cursor) == (2, first.next_cursor)


def test_learners_with_the_kind_turned_off_are_counted_as_skipped(db: Any) -> None:
    learners = UserFactory.create_batch(3)
    preference_update(user=learners[0], data={"types": {"announcement": False}})
    batch = _batch()
    start_due_batches.apply()
    batch.refresh_from_db()
    assert batch.status == BatchStatus.COMPLETED
    assert (batch.targeted, batch.sent, batch.skipped, batch.failed) == (3, 2, 1, 0)


def test_the_beat_task_waits_for_the_scheduled_time_and_runs_every_chunk(
    db: Any, settings: Any
) -> None:
    settings.NOTIFICATIONS_BATCH_CHUNK_SIZE = 2
    UserFactory.create_batch(5)
    batch = _batch(scheduled_at=timezone.now() + datetime.timedelta(hours=1))
    assert start_due_batches.apply().get() == 0
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=1, seconds=1)):
        assert start_due_batches.apply().get() == 1
    batch.refresh_from_db()
    assert (batch.status, batch.sent) == (BatchStatus.COMPLETED, 5)


def test_a_cancelled_batch_stops_at_the_next_chunk(db: Any, settings: Any) -> None:
    settings.NOTIFICATIONS_BATCH_CHUNK_SIZE = 2
    UserFactory.create_batch(5)
    batch = _batch()
    cursor = batch_start(batch_id=batch.pk)
    assert cursor is not None
    first = batch_process_chunk(batch_id=batch.pk, after=cursor)
    assert batch_cancel(batch_id=batch.pk) is True
    assert first.next_cursor is not None
    assert batch_process_chunk(batch_id=batch.pk, after=first.next_cursor).processed == 0
    batch.refresh_from_db()
    assert (batch.status, batch.sent) == (BatchStatus.CANCELLED, 2)
    assert batch.cancelled_at is not None
    assert batch_cancel(batch_id=batch.pk) is False


def test_segments(db: Any) -> None:
    studious, idle, never = UserFactory.create_batch(3)
    subject = subject_create(created_by=studious, name="Chemistry")
    progress_log(user=studious, subject_id=subject.pk, minutes=30)
    old = timezone.now() - datetime.timedelta(days=20)
    with time_machine.travel(old):
        other = subject_create(created_by=idle, name="History")
        progress_log(user=idle, subject_id=other.pk, minutes=30)

    inactive = _batch(segment=Segment.INACTIVE, inactive_days=7)
    assert set(batch_targets(inactive)) == {idle, never}
    by_subject = _batch(segment=Segment.SUBJECT, subject=subject)
    assert list(batch_targets(by_subject)) == [studious]
    everyone = _batch()
    assert list(batch_targets(everyone)) == [studious, idle, never]
    on_plan = _batch(segment=Segment.PLAN, plan="pro")
    assert list(batch_targets(on_plan)) == []


def test_the_command_dry_run_counts_without_sending(db: Any) -> None:
    UserFactory.create_batch(4)
    batch = _batch()
    out = io.StringIO()
    call_command("notifications_send_batch", str(batch.pk), "--dry-run", stdout=out)
    assert "recipients: 4 (showing 4)" in out.getvalue()
    assert not Notification.objects.exists()
    batch.refresh_from_db()
    assert batch.status == BatchStatus.SCHEDULED

    out = io.StringIO()
    call_command("notifications_send_batch", str(batch.pk), stdout=out)
    assert "completed: targeted 4, sent 4, skipped 0, failed 0" in out.getvalue()
    out = io.StringIO()
    call_command("notifications_send_batch", str(batch.pk), stdout=out)  # sent once only
    assert "was already sent" in out.getvalue()
    assert Notification.objects.count() == 4
    with pytest.raises(CommandError):
        call_command("notifications_send_batch", "999999", "--dry-run")
