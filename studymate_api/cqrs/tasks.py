"""Celery tasks of the outbox. Both are idempotent: `publish` claims each event row first."""

from __future__ import annotations

import structlog
from celery import shared_task

from . import outbox

__all__ = ["publish_event", "publish_outbox", "purge_deliveries", "schedule_publish"]

logger = structlog.get_logger(__name__)

# The sweep stops taking new events after this, well inside its soft time limit.
_SWEEP_BUDGET_SECONDS = 120.0


@shared_task(
    name="studymate_api.cqrs.publish_event", ignore_result=True, soft_time_limit=50, time_limit=60
)
def publish_event(event_id: int) -> None:
    outbox.publish(event_id)


@shared_task(
    name="studymate_api.cqrs.publish_outbox",
    ignore_result=True,
    soft_time_limit=150,
    time_limit=180,
)
def publish_outbox() -> None:
    """Beat's retry of whatever was not delivered after commit (CQRS_BEAT_SCHEDULE)."""
    outbox.publish_pending(time_budget=_SWEEP_BUDGET_SECONDS)


@shared_task(
    name="studymate_api.cqrs.purge_deliveries",
    ignore_result=True,
    soft_time_limit=100,
    time_limit=120,
)
def purge_deliveries() -> int:
    """The retention of `EventDelivery` (CQRS_BEAT_SCHEDULE): deliveries of published events
    past CQRS_DELIVERY_RETENTION_DAYS, bounded per run; safe to run twice. The event store
    itself is kept."""
    return outbox.deliveries_purge()


def schedule_publish(event_id: int) -> None:
    """Runs after the recording transaction commits: a worker delivers the event (inline when
    Celery is eager). Never raises: the command has committed, and whatever goes wrong here,
    the event stays in the outbox for the sweep."""
    try:
        # No publish retries: with the broker down, the request should not wait for it.
        publish_event.apply_async((event_id,), retry=False)
    except Exception:
        logger.warning("cqrs.publish.left_to_sweep", event_id=event_id, exc_info=True)
