"""Background work of notifications. Each task takes ids and calls one service; all are safe to
run twice (deliveries and batch chunks are claimed, scheduled kinds are de-duplicated)."""

from __future__ import annotations

from celery import shared_task

from . import services


# A send is one SMTP or HTTP exchange per device, with timeouts well under these limits.
@shared_task(name="notifications.deliver", acks_late=True, soft_time_limit=60, time_limit=90)
def deliver(delivery_id: int) -> str:
    """A temporary failure reschedules the delivery; this enqueues its retry at that time."""
    result = services.delivery_run(delivery_id=delivery_id)
    if result.retry_at is not None:
        deliver.apply_async((delivery_id,), eta=result.retry_at)
    return result.status


@shared_task(name="notifications.deliver_due", soft_time_limit=120, time_limit=150)
def deliver_due() -> int:
    """Beat: deliveries whose task was lost (broker down) or whose worker died past the lease."""
    ids = services.delivery_due_ids()
    for delivery_id in ids:
        deliver.delay(delivery_id)
    return len(ids)


@shared_task(name="notifications.send_goal_reminders", soft_time_limit=240, time_limit=280)
def send_goal_reminders() -> int:
    return services.reminders_send()


@shared_task(name="notifications.send_streak_risk", soft_time_limit=600, time_limit=660)
def send_streak_risk() -> int:
    return services.streak_risk_send()


@shared_task(name="notifications.send_weekly_digest", soft_time_limit=600, time_limit=660)
def send_weekly_digest() -> int:
    return services.digest_send()


@shared_task(name="notifications.start_due_batches")
def start_due_batches() -> int:
    """Beat: batches whose scheduled time has come."""
    started = 0
    for batch_id in services.batch_due_ids():
        cursor = services.batch_start(batch_id=batch_id)
        if cursor is not None:
            process_batch_chunk.delay(batch_id, cursor)
            started += 1
    return started


@shared_task(name="notifications.process_batch_chunk", acks_late=True, soft_time_limit=240)
def process_batch_chunk(batch_id: int, after: int) -> int:
    """One chunk, then the next one as a new task: no task runs longer than a chunk."""
    result = services.batch_process_chunk(batch_id=batch_id, after=after)
    if result.next_cursor is not None:
        process_batch_chunk.delay(batch_id, result.next_cursor)
    return result.processed


@shared_task(
    name="notifications.purge_deliveries", ignore_result=True, soft_time_limit=100, time_limit=120
)
def purge_deliveries() -> int:
    """The retention of `DeliveryAttempt` (NOTIFICATIONS_BEAT_SCHEDULE): settled deliveries
    past NOTIFICATIONS_DELIVERY_RETENTION_DAYS, bounded per run; safe to run twice."""
    return services.deliveries_purge()
