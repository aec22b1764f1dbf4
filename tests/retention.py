"""What every retention test checks: rows made old, and the purge's beat entry."""

from __future__ import annotations

import datetime
from typing import Any

from celery import Task
from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone


def age(rows: QuerySet[Any], field: str, *, days: float) -> None:
    """Moves `field` of `rows` `days` into the past (auto_now_add fields cannot be given)."""
    rows.update(**{field: timezone.now() - datetime.timedelta(days=days)})


def assert_purged_hourly(entry: str, task: Task[Any, Any]) -> None:
    """Beat runs the purge every hour, and a run still queued when the next is due expires."""
    scheduled = settings.CELERY_BEAT_SCHEDULE[entry]
    assert scheduled["task"] == task.name
    assert scheduled["schedule"] == 3600.0
    assert scheduled["options"] == {"expires": 3600.0}
