"""The transactional outbox: delivering committed events to subscribers.

Every recorded event that some subscriber hears starts unpublished (one nobody hears is stored
as published, see `store.record_event`). After its transaction commits, `publish` delivers it to
the interested subscribers that have not had it yet and records an `EventDelivery` row for each
in the same transaction as their effects; when all have it, the event is marked published.

Batching: the subscribers run one after another in the publish transaction itself, with no
savepoint each, and their deliveries are one INSERT. A subscriber that declares `isolated=True`
(it calls the network, or may fail on its own for reasons the others should not share) runs in
its own savepoint instead, after the batch. If a batched subscriber raises, the whole batch is
rolled back and the event is delivered again with every subscriber isolated: the healthy ones
are delivered, the failing one is recorded as failed (attempts + 1, last_error, a backoff) and
beat's sweep retries the event for it alone. So each subscriber's database effects happen
exactly once, whatever crashes or retries in between; a failure costs the batch's work twice.

Ordering: a subscriber gets an aggregate's events in sequence order. While an earlier event of
the same aggregate is still owed to it, later ones wait (`deferred`) instead of overtaking.

Locks: the event row is claimed (FOR NO KEY UPDATE SKIP LOCKED); no other lock is taken.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

import structlog
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from studymate_api.core.models import DomainEvent, EventDelivery
from studymate_api.core.retention import delete_in_batches

from .stats import DELIVERIES
from .subscribers import Subscriber, SubscriberRegistry, subscribers

__all__ = ["PublishReport", "deliveries_purge", "publish", "publish_pending"]

logger = structlog.get_logger(__name__)

_MAX_ERROR_LENGTH = 4000
_MAX_BACKOFF = timedelta(hours=1)


@dataclass
class PublishReport:
    published: int = 0
    failed: int = 0
    deferred: int = 0
    # Already published, or claimed by another worker right now.
    skipped: int = 0

    def add(self, other: PublishReport) -> None:
        self.published += other.published
        self.failed += other.failed
        self.deferred += other.deferred
        self.skipped += other.skipped


def publish(event_id: int, *, registry: SubscriberRegistry = subscribers) -> PublishReport:
    """Deliver one event to the subscribers still owed it. Safe to call any number of times,
    from any number of workers: the row is claimed with FOR NO KEY UPDATE SKIP LOCKED."""
    try:
        with transaction.atomic():
            return _publish_claimed(event_id, registry, batched=True)
    except _BatchFailed as failed:
        logger.info(
            "cqrs.delivery.batch_failed",
            event_id=event_id,
            subscriber=failed.subscriber,
            error=failed.error,
        )
    with transaction.atomic():
        return _publish_claimed(event_id, registry, batched=False)


def publish_pending(*, batch_size: int | None = None, time_budget: float = 120.0) -> PublishReport:
    """Publish due unpublished events in id order, in batches, until none are left or the
    time budget is spent. Failing events are passed over, so they never block newer ones."""
    batch_size = batch_size or settings.CQRS_OUTBOX_BATCH_SIZE
    deadline = time.monotonic() + time_budget
    report = PublishReport()
    after = 0
    while time.monotonic() < deadline:
        ids = _due_ids(after, batch_size)
        for event_id in ids:
            report.add(publish(event_id))
            if time.monotonic() >= deadline:
                break
        if len(ids) < batch_size:
            break
        after = ids[-1]
    return report


def _due_ids(after: int, limit: int) -> list[int]:
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=timezone.now())
    return list(
        DomainEvent.objects.filter(due, published_at__isnull=True, id__gt=after)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )


def _claim(event_id: int) -> DomainEvent | None:
    """Lock the unpublished event, or None if it is published or another worker holds it.

    NO KEY UPDATE, not UPDATE: the weakest lock that keeps other publishers out, since a publish
    changes no key of the row. SQLite has no row locks; its transactions hold the database write
    lock instead.
    """
    events = DomainEvent.objects.filter(pk=event_id, published_at__isnull=True)
    if connection.features.has_select_for_update_skip_locked:
        events = events.select_for_update(
            skip_locked=True, no_key=connection.features.has_select_for_no_key_update
        )
    return events.first()


class _BatchFailed(Exception):
    def __init__(self, subscriber: str, error: str) -> None:
        super().__init__(f"{subscriber}: {error}")
        self.subscriber = subscriber
        self.error = error


def _publish_claimed(
    event_id: int, registry: SubscriberRegistry, *, batched: bool
) -> PublishReport:
    event = _claim(event_id)
    if event is None:
        return PublishReport(skipped=1)
    ready, deferred = _owed(event, registry)
    in_batch = [s for s in ready if batched and not s.isolated]
    _deliver_batch(event, in_batch)
    failures: list[str] = []
    for subscriber in ready:
        if subscriber in in_batch:
            continue
        error = _deliver_isolated(event, subscriber)
        if error:
            failures.append(f"{subscriber.name}: {error}")
    return _settle(event, failures, deferred)


def _owed(event: DomainEvent, registry: SubscriberRegistry) -> tuple[list[Subscriber], list[str]]:
    """The subscribers to deliver to now, in registration order, and the names of those that
    must wait for an earlier event of the aggregate."""
    interested = registry.for_event(event.event_type)
    done = _delivered(event)
    owed = [s for s in interested if s.name not in done]
    waiting = _waiting_for_earlier(event, owed) if owed and event.sequence > 1 else set()
    for name in waiting:
        DELIVERIES.labels(name, "deferred").inc()
    ready = [s for s in owed if s.name not in waiting]
    return ready, [s.name for s in owed if s.name in waiting]


def _delivered(event: DomainEvent) -> set[str]:
    """Who has the event already. An event never tried before (no attempt, no note) has no
    deliveries, so there is nothing to read. (Were that ever wrong, the unique delivery row would
    refuse the second delivery and roll its effects back.)"""
    if event.attempts == 0 and not event.last_error:
        return set()
    return set(event.deliveries.values_list("subscriber", flat=True))


def _waiting_for_earlier(event: DomainEvent, owed: list[Subscriber]) -> set[str]:
    """Names of the subscribers an earlier unpublished event of the aggregate is still owed to:
    one query, and a second only when such events exist."""
    earlier = dict(
        DomainEvent.objects.filter(
            aggregate_type=event.aggregate_type,
            aggregate_id=event.aggregate_id,
            sequence__lt=event.sequence,
            published_at__isnull=True,
        ).values_list("id", "event_type")
    )
    if not earlier:
        return set()
    delivered = set(
        EventDelivery.objects.filter(event_id__in=earlier).values_list("event_id", "subscriber")
    )
    return {
        subscriber.name
        for subscriber in owed
        for earlier_id, event_type in earlier.items()
        if subscriber.wants(event_type) and (earlier_id, subscriber.name) not in delivered
    }


def _deliver_batch(event: DomainEvent, batch: list[Subscriber]) -> None:
    """Every subscriber of `batch` in the current transaction, no savepoint each; raises
    `_BatchFailed` (the caller rolls the whole transaction back) at the first failure."""
    if not batch:
        return
    for subscriber in batch:
        try:
            subscriber.handle(event)
        except SoftTimeLimitExceeded:
            raise  # out of time: roll everything back, a later sweep starts over
        except Exception as exc:
            raise _BatchFailed(subscriber.name, f"{type(exc).__name__}: {exc}") from exc
    EventDelivery.objects.bulk_create(EventDelivery(event=event, subscriber=s.name) for s in batch)
    for subscriber in batch:
        DELIVERIES.labels(subscriber.name, "ok").inc()


def _deliver_isolated(event: DomainEvent, subscriber: Subscriber) -> str:
    """Hand the event to one subscriber in its own savepoint; the error text on failure, ""
    on success."""
    try:
        with transaction.atomic():
            subscriber.handle(event)
            EventDelivery.objects.create(event=event, subscriber=subscriber.name)
    except SoftTimeLimitExceeded:
        raise  # out of time: roll everything back, a later sweep starts over
    except Exception as exc:
        DELIVERIES.labels(subscriber.name, "failed").inc()
        logger.exception("cqrs.delivery.failed", subscriber=subscriber.name, event_id=event.pk)
        return f"{type(exc).__name__}: {exc}"
    DELIVERIES.labels(subscriber.name, "ok").inc()
    return ""


def _settle(event: DomainEvent, failures: list[str], deferred: list[str]) -> PublishReport:
    if failures:
        event.attempts += 1
        event.last_error = "\n".join(failures)[:_MAX_ERROR_LENGTH]
        event.next_attempt_at = timezone.now() + _backoff(event.attempts)
        event.save(update_fields=["attempts", "last_error", "next_attempt_at"])
        return PublishReport(failed=1)
    if deferred:
        event.last_error = f"waiting for earlier events of this aggregate: {', '.join(deferred)}"
        event.save(update_fields=["last_error"])
        return PublishReport(deferred=1)
    event.published_at = timezone.now()
    event.last_error = ""
    event.next_attempt_at = None
    event.save(update_fields=["published_at", "last_error", "next_attempt_at"])
    return PublishReport(published=1)


def _backoff(attempts: int) -> timedelta:
    base = settings.CQRS_OUTBOX_RETRY_BACKOFF_SECONDS
    return min(timedelta(seconds=base * 2 ** min(attempts - 1, 20)), _MAX_BACKOFF)


# --- retention ----------------------------------------------------------------------------------


def deliveries_purge(*, batch_size: int = 5000, max_batches: int = 20) -> int:
    """Retention: deletes the `EventDelivery` rows of published events delivered more than
    CQRS_DELIVERY_RETENTION_DAYS ago, bounded per run; returns how many.

    A delivery row is read only while its event is unpublished (who still needs it, and whether
    a later event of the aggregate must wait); a published event is never claimed again, so its
    rows are bookkeeping nobody reads. Those of unpublished events stay however old: they keep a
    subscriber that has the event from getting it twice. The events themselves (`DomainEvent`)
    are never deleted: the store is the history that replays and `aggregate_events` read."""
    keep = timedelta(days=settings.CQRS_DELIVERY_RETENTION_DAYS)
    done = EventDelivery.objects.filter(
        event__published_at__isnull=False, delivered_at__lt=timezone.now() - keep
    )
    return delete_in_batches(done, batch_size=batch_size, max_batches=max_batches)
