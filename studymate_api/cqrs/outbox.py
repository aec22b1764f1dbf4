"""The transactional outbox: delivering committed events to subscribers, and replays.

Every recorded event starts unpublished. After its transaction commits, `publish` delivers it to
each interested subscriber that has not had it yet, each delivery in its own savepoint together
with an `EventDelivery` row; when all have it, the event is marked published. A failure leaves
the event unpublished (attempts + 1, last_error, a backoff) and beat's sweep retries it. So each
subscriber's database effects happen exactly once, whatever crashes or retries in between.

Ordering: a subscriber gets an aggregate's events in sequence order. While an earlier event of
the same aggregate is still owed to it, later ones wait (`deferred`) instead of overtaking.
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

from .stats import DELIVERIES
from .subscribers import Subscriber, SubscriberRegistry, subscribers

__all__ = ["PublishReport", "publish", "publish_pending", "replay"]

logger = structlog.get_logger(__name__)

# First key of PostgreSQL advisory locks per subscriber: deliveries share it, replays own it.
_SUBSCRIBER_LOCK_SPACE = 0x43515254
_MAX_ERROR_LENGTH = 4000
_MAX_BACKOFF = timedelta(hours=1)
_REPLAY_CHUNK = 500


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
    with transaction.atomic():
        event = _claim(event_id)
        if event is None:
            return PublishReport(skipped=1)
        failures, deferred = _deliver(event, registry)
        return _settle(event, failures, deferred)


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


def replay(name: str, *, registry: SubscriberRegistry = subscribers) -> int:
    """Reset the projection and apply every event it handles, in order, in one transaction.

    Deliveries to the projection wait for the replay (a PostgreSQL advisory lock), and the
    replay records a delivery for each event it applied, so the outbox neither misses nor
    repeats any. Returns the number of events applied.
    """
    projection = registry.projection(name)
    applied = 0
    with transaction.atomic():
        _lock_subscriber(name, shared=False)
        EventDelivery.objects.filter(subscriber=name).delete()
        projection.reset()
        pending: list[EventDelivery] = []
        events = DomainEvent.objects.filter(event_type__in=projection.event_types or ())
        for event in events.order_by("id").iterator(chunk_size=_REPLAY_CHUNK):
            projection.handle(event)
            pending.append(EventDelivery(event=event, subscriber=name))
            if len(pending) >= _REPLAY_CHUNK:
                applied += len(EventDelivery.objects.bulk_create(pending))
                pending = []
        applied += len(EventDelivery.objects.bulk_create(pending))
    logger.info("cqrs.projection.replayed", projection=name, events=applied)
    return applied


def unpublished_events() -> int:
    return DomainEvent.objects.filter(published_at__isnull=True).count()


def _due_ids(after: int, limit: int) -> list[int]:
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=timezone.now())
    return list(
        DomainEvent.objects.filter(due, published_at__isnull=True, id__gt=after)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )


def _claim(event_id: int) -> DomainEvent | None:
    """Lock the unpublished event, or None if it is published or another worker holds it.

    NO KEY UPDATE, not UPDATE: a replay inserting deliveries of this event takes KEY SHARE on
    it (the foreign key check) while holding the subscriber lock this worker may wait for.
    SQLite has no row locks; its transactions hold the database write lock instead.
    """
    events = DomainEvent.objects.filter(pk=event_id, published_at__isnull=True)
    if connection.features.has_select_for_update_skip_locked:
        events = events.select_for_update(
            skip_locked=True, no_key=connection.features.has_select_for_no_key_update
        )
    return events.first()


def _deliver(event: DomainEvent, registry: SubscriberRegistry) -> tuple[list[str], list[str]]:
    done = set(event.deliveries.values_list("subscriber", flat=True))
    failures: list[str] = []
    deferred: list[str] = []
    for subscriber in registry.for_event(event.event_type):
        if subscriber.name in done:
            continue
        if _owes_earlier_event(event, subscriber):
            DELIVERIES.labels(subscriber.name, "deferred").inc()
            deferred.append(subscriber.name)
            continue
        error = _deliver_one(event, subscriber)
        if error:
            failures.append(f"{subscriber.name}: {error}")
    return failures, deferred


def _deliver_one(event: DomainEvent, subscriber: Subscriber) -> str:
    """Hand the event to one subscriber; the error text on failure, "" on success."""
    try:
        with transaction.atomic():
            _lock_subscriber(subscriber.name, shared=True)
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


def _owes_earlier_event(event: DomainEvent, subscriber: Subscriber) -> bool:
    if event.sequence == 1:
        return False
    earlier = DomainEvent.objects.filter(
        aggregate_type=event.aggregate_type,
        aggregate_id=event.aggregate_id,
        sequence__lt=event.sequence,
        published_at__isnull=True,
    ).exclude(deliveries__subscriber=subscriber.name)
    if subscriber.event_types is not None:
        earlier = earlier.filter(event_type__in=subscriber.event_types)
    return earlier.exists()


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


def _lock_subscriber(name: str, *, shared: bool) -> None:
    if connection.vendor != "postgresql":
        return
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s, hashtext(%s))", [_SUBSCRIBER_LOCK_SPACE, name])
