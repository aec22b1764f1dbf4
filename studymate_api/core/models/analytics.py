"""Metric aggregates flushed from tracked events (owned by studymate_api.metrics).

Rows only ever grow by additive upserts from `studymate_api.metrics.flush`; every batch of
events is applied together with its `ProcessedEventBatch` marker, in one transaction.
Times are UTC: `hour` is the start of the hour, `day` the UTC date.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

__all__ = [
    "DailyActiveUser",
    "DailyEventCount",
    "HourlyEventCount",
    "ProcessedEventBatch",
]


class HourlyEventCount(models.Model):
    name = models.CharField(max_length=64)
    hour = models.DateTimeField()
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["name", "hour"], name="metrics_hourly_name_hour_uniq")
        ]
        indexes = [models.Index(fields=["hour"], name="metrics_hourly_hour_idx")]

    def __str__(self) -> str:
        return f"{self.name} @ {self.hour:%Y-%m-%d %H}h: {self.count}"


class DailyEventCount(models.Model):
    name = models.CharField(max_length=64)
    day = models.DateField()
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["name", "day"], name="metrics_daily_name_day_uniq")
        ]
        indexes = [models.Index(fields=["day"], name="metrics_daily_day_idx")]

    def __str__(self) -> str:
        return f"{self.name} @ {self.day}: {self.count}"


class DailyActiveUser(models.Model):
    """One row per user and day with any tracked event: distinct users per day (DAU) and, over
    ranges, WAU/MAU; `event_count` gives engagement (events per active user).

    `user_id` is a plain integer, not a foreign key: the shared platform does not depend on the
    accounts app, and the history stays when an account is deleted."""

    day = models.DateField()
    user_id = models.BigIntegerField()
    event_count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "user_id"], name="metrics_dau_day_user_uniq")
        ]

    def __str__(self) -> str:
        return f"user {self.user_id} @ {self.day}: {self.event_count} events"


class ProcessedEventBatch(models.Model):
    """The idempotency marker of a flushed batch: inserted in the transaction that applies the
    batch, so a batch re-read after a crash is recognised and not counted again."""

    batch_id = models.CharField(max_length=64, unique=True)
    event_count = models.PositiveIntegerField(default=0)
    processed_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"batch {self.batch_id} ({self.event_count} events)"
