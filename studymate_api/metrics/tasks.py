"""The beat-scheduled flush of buffered events (METRICS_BEAT_SCHEDULE, every minute)."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.conf import settings

_HARD_LIMIT: int = settings.METRICS_FLUSH_TIME_LIMIT


@shared_task(
    name="studymate_api.metrics.flush_events",
    ignore_result=True,
    time_limit=_HARD_LIMIT,
    soft_time_limit=max(1, _HARD_LIMIT * 9 // 10),
)
def flush_events_task() -> dict[str, Any]:
    """Bounded (METRICS_FLUSH_MAX_BATCHES batches a run) and idempotent: a run killed half-way
    leaves its batch pending, and the next run counts it exactly once."""
    # Imported here: flush needs the models, and this module loads with the package, which the
    # cache backend wrapper may import before the app registry is ready.
    from .flush import flush_events

    return flush_events().as_dict()


@shared_task(
    name="studymate_api.metrics.purge_aggregates",
    ignore_result=True,
    soft_time_limit=100,
    time_limit=120,
)
def purge_aggregates() -> dict[str, int]:
    """The retention of the hourly counts and the daily active users (METRICS_BEAT_SCHEDULE):
    rows past their windows, bounded per run; safe to run twice."""
    from .retention import aggregates_purge

    return aggregates_purge()
