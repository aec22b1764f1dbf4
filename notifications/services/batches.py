"""Staff batches: one kind to a segment of learners, in bounded chunks of user ids.

`batch_start` moves a due batch to running and counts its targets; each chunk
(`batch_process_chunk`) takes the next NOTIFICATIONS_BATCH_CHUNK_SIZE user ids after the
batch's cursor (keyset order), notifies them, and advances the cursor and the counters in the
same transaction, under the batch's row lock. A re-delivered chunk task finds the cursor moved and
does nothing; a chunk that died before committing is redone whole. Cancelling stops at the next
chunk.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import structlog
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from study.selectors import learner_ids_studied_since, subject_learners
from subscription.selectors.plans import subscriber_ids_on_plan

from ..models import BatchStatus, DeliveryStatus, NotificationBatch, Segment
from ..rendering import Rendered, TemplateMissing
from .recipients import Recipient, recipient_for
from .sending import (
    channels_planned,
    enqueue_deliveries,
    notification_render,
    notify_many,
    pending_schedule,
)

if TYPE_CHECKING:
    from accounts.models import User

logger = structlog.get_logger(__name__)


@dataclass(frozen=True)
class ChunkResult:
    processed: int
    next_cursor: int | None  # None: the batch is finished or stopped


def batch_targets(batch: NotificationBatch) -> QuerySet[User]:
    """The segment's active learners (staff excluded), in id order."""
    users = get_user_model().objects.filter(is_active=True, is_staff=False)
    if batch.segment == Segment.SUBJECT:
        assert batch.subject_id is not None  # the model's constraint for this segment
        users = users.filter(subject_learners(subject_id=batch.subject_id))
    elif batch.segment == Segment.INACTIVE:
        since = timezone.now() - datetime.timedelta(days=batch.inactive_days or 0)
        # No study logged since then (learners who never studied included).
        users = users.exclude(pk__in=learner_ids_studied_since(since=since))
    elif batch.segment == Segment.PLAN:
        users = users.filter(pk__in=subscriber_ids_on_plan(plan_code=batch.plan))
    return users.distinct().order_by("pk")


def batch_start(*, batch_id: int, early: bool = False) -> int | None:
    """Scheduled and due → running, with `targeted` counted. Returns the cursor to process from,
    or None when the batch was not startable (already started, cancelled, not yet due).
    `early`: start it even before its scheduled time (an operator's "send now")."""
    startable = NotificationBatch.objects.select_for_update().filter(
        pk=batch_id, status=BatchStatus.SCHEDULED
    )
    if not early:
        startable = startable.filter(scheduled_at__lte=timezone.now())
    with transaction.atomic():
        batch = startable.first()
        if batch is None:
            return None
        batch.targeted = batch_targets(batch).count()
        batch.status = BatchStatus.RUNNING
        batch.started_at = timezone.now()
        batch.save(update_fields=["targeted", "status", "started_at"])
    return batch.cursor


@dataclass(frozen=True)
class BatchPreview:
    """What sending a batch would do (`batch_preview`)."""

    targeted: int
    sample: list[Recipient]  # the first learners it targets, in id order
    channels: list[tuple[str, str | None]]  # each with why it cannot send, or None
    rendered: Rendered | None  # the message for sample[0], in their language; None: no one


def batch_preview(batch: NotificationBatch, *, sample_size: int = 5) -> BatchPreview:
    """The batch's targets now, a sample of them and the message the first one would get,
    rendered as sending renders it: reads only, sends and stores nothing. Raises
    TemplateMissing when the kind has no template in their language nor in English."""
    targets = batch_targets(batch)
    users = targets.select_related("profile", "notification_preference")[:sample_size]
    sample = [recipient_for(user) for user in users]
    rendered = (
        notification_render(sample[0], kind=batch.kind, context=batch.context) if sample else None
    )
    return BatchPreview(
        targeted=targets.count(),
        sample=sample,
        channels=channels_planned(batch.kind, batch.channels or None),
        rendered=rendered,
    )


def batch_due_ids() -> list[int]:
    due = NotificationBatch.objects.filter(
        status=BatchStatus.SCHEDULED, scheduled_at__lte=timezone.now()
    )
    return list(due.values_list("pk", flat=True))


def batch_process_chunk(*, batch_id: int, after: int) -> ChunkResult:
    with transaction.atomic():
        batch = NotificationBatch.objects.select_for_update().filter(pk=batch_id).first()
        if batch is None or batch.status != BatchStatus.RUNNING or batch.cursor != after:
            return ChunkResult(0, None)
        users = list(_chunk_users(batch, after))
        if not users:
            _finish(batch)
            return ChunkResult(0, None)
        counts, due = _notify_chunk(batch, users)
        NotificationBatch.objects.filter(pk=batch.pk).update(
            cursor=users[-1].pk,
            sent=F("sent") + counts["sent"],
            skipped=F("skipped") + counts["skipped"],
            failed=F("failed") + counts["failed"],
        )
        transaction.on_commit(lambda: enqueue_deliveries(due), robust=True)
    return ChunkResult(len(users), users[-1].pk)


def _chunk_users(batch: NotificationBatch, after: int) -> QuerySet[Any]:
    return (
        batch_targets(batch)
        .filter(pk__gt=after)
        .select_related("profile", "notification_preference")[
            : settings.NOTIFICATIONS_BATCH_CHUNK_SIZE
        ]
    )


def _notify_chunk(
    batch: NotificationBatch, users: list[User]
) -> tuple[dict[str, int], list[tuple[int, str]]]:
    """sent: a notification with at least one channel to go out on; skipped: the learner
    already had it, or every channel is off for them; failed: the kind has no template."""
    try:
        _notifications, deliveries = notify_many(
            [recipient_for(user) for user in users],
            kind=batch.kind,
            context=batch.context,
            channels=batch.channels or None,
            dedup_key=f"batch:{batch.pk}",
        )
    except TemplateMissing:
        logger.error("notifications.batch_template_missing", batch_id=batch.pk, kind=batch.kind)
        return {"sent": 0, "skipped": 0, "failed": len(users)}, []
    pending = [d for d in deliveries if d.status == DeliveryStatus.PENDING]
    reached = len({d.notification_id for d in pending})
    return {"sent": reached, "skipped": len(users) - reached, "failed": 0}, pending_schedule(
        pending
    )


def _finish(batch: NotificationBatch) -> None:
    batch.status = BatchStatus.COMPLETED
    batch.finished_at = timezone.now()
    batch.save(update_fields=["status", "finished_at"])
    logger.info("notifications.batch_completed", batch_id=batch.pk)


def batch_cancel(*, batch_id: int) -> bool:
    """Scheduled or running → cancelled; chunks not yet processed are not sent."""
    cancellable = NotificationBatch.objects.filter(
        pk=batch_id, status__in=(BatchStatus.SCHEDULED, BatchStatus.RUNNING)
    )
    now = timezone.now()
    return cancellable.update(status=BatchStatus.CANCELLED, cancelled_at=now) == 1
