"""Retention of the metric aggregates (README, "Retention"): hourly counts and daily active
users past their windows, bounded per run; the daily event counts stay."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from studymate_api.core.models import DailyActiveUser, HourlyEventCount
from studymate_api.core.retention import delete_in_batches


def aggregates_purge(*, batch_size: int = 5000, max_batches: int = 20) -> dict[str, int]:
    """Deletes `HourlyEventCount` rows older than METRICS_HOURLY_RETENTION_DAYS and
    `DailyActiveUser` rows older than METRICS_ACTIVE_USERS_RETENTION_DAYS; returns how many of
    each went.

    Every hourly count is also added to its day's `DailyEventCount` when it is flushed, and
    nothing reads the hours (the business report reads days), so old hours lose nothing the
    days do not keep: aggregated, then deleted. Active users are read by the business report
    (at most 365 days back, each day's MAU 29 days further), so their window is at least 395
    days. `DailyEventCount` stays: a few dozen rows a day, whatever the number of learners."""
    today = timezone.now().date()
    hours_kept = timedelta(days=settings.METRICS_HOURLY_RETENTION_DAYS)
    old_hours = HourlyEventCount.objects.filter(hour__lt=timezone.now() - hours_kept)
    days_kept = timedelta(days=settings.METRICS_ACTIVE_USERS_RETENTION_DAYS)
    old_days = DailyActiveUser.objects.filter(day__lt=today - days_kept)
    return {
        "hourly_event_counts": delete_in_batches(
            old_hours, batch_size=batch_size, max_batches=max_batches
        ),
        "daily_active_users": delete_in_batches(
            old_days, batch_size=batch_size, max_batches=max_batches
        ),
    }
