"""The study read models, fed by the domain events after commit (see `studymate_api.cqrs`).

Each handler takes everything from the event (payload, sequence, `occurred_at`), so a replay
(`manage.py cqrs_management --replay <name>`) rebuilds identical rows. Read models of rows that
were deleted since (a summary, a progress row, a user) are not rebuilt: their tables cascade
from the source rows, and the handlers skip events of rows that are gone.

- `study.summaries` (SummaryView): the latest state of each summary.
- `study.progress` (ProgressView): each progress row's totals after its latest logged time.
- `study.analytics` (StudyAnalyticsView, StudyDailyMinutesView): per learner counters and
  minutes per day. A summary whose first event is its outcome was requested through REST
  (which records no SummaryRequested), so that outcome also counts as a request.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import DateTimeField, F, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils.dateparse import parse_date, parse_datetime

from study.models import (
    ProgressView,
    StudyAnalyticsView,
    StudyDailyMinutesView,
    StudyProgress,
    StudySummary,
    SummaryView,
)
from studymate_api.core.models import DomainEvent
from studymate_api.cqrs import projection

from .events import (
    STUDY_TIME_LOGGED,
    SUBJECT_CREATED,
    SUMMARY_COMPLETED,
    SUMMARY_FAILED,
    SUMMARY_REQUESTED,
)

SUMMARIES = "study.summaries"
PROGRESS = "study.progress"
ANALYTICS = "study.analytics"


def _moment(value: str | None) -> datetime.datetime | None:
    return parse_datetime(value) if value else None


def _day(value: str | None) -> datetime.date | None:
    return parse_date(value) if value else None


# --- summaries ----------------------------------------------------------------------------------


def _reset_summaries() -> None:
    SummaryView.objects.all().delete()


summaries = projection(SUMMARIES, reset=_reset_summaries)


@summaries.on(SUMMARY_REQUESTED, SUMMARY_COMPLETED, SUMMARY_FAILED)
def _summary_changed(event: DomainEvent) -> None:
    data = event.payload
    if not StudySummary.objects.filter(pk=data["summary_id"]).exists():
        return
    SummaryView.objects.update_or_create(
        summary_id=data["summary_id"],
        defaults={
            "user_id": data["user_id"],
            "subject_id": data["subject_id"],
            "title": data["title"],
            "summary_type": data["summary_type"],
            "status": data["status"],
            "summary_text": data["summary"],
            "provider": data["provider"],
            "model": data["model"],
            "tokens_used": data["tokens_used"],
            "error_code": data["error_code"],
            "error": data["error"],
            "requested_at": _moment(data["created_at"]),
            "completed_at": _moment(data["completed_at"]),
        },
    )


# --- progress -----------------------------------------------------------------------------------


def _reset_progress() -> None:
    ProgressView.objects.all().delete()


progress = projection(PROGRESS, reset=_reset_progress)


@progress.on(STUDY_TIME_LOGGED)
def _time_logged(event: DomainEvent) -> None:
    data = event.payload
    if not StudyProgress.objects.filter(pk=data["progress_id"]).exists():
        return
    ProgressView.objects.update_or_create(
        progress_id=data["progress_id"],
        defaults={
            "user_id": data["user_id"],
            "subject_id": data["subject_id"],
            "total_study_minutes": data["total_study_minutes"],
            "sessions_count": data["sessions_count"],
            "completion_percentage": data["completion_percentage"],
            "last_studied_at": _moment(data["last_studied_at"]),
            "last_study_date": _day(data["last_study_date"]),
            "streak_days": data["streak_days"],
            "longest_streak_days": data["longest_streak_days"],
        },
    )


# --- analytics ----------------------------------------------------------------------------------


def _reset_analytics() -> None:
    StudyAnalyticsView.objects.all().delete()
    StudyDailyMinutesView.objects.all().delete()


analytics = projection(ANALYTICS, reset=_reset_analytics)


def _count(event: DomainEvent, **amounts: int) -> bool:
    """Adds `amounts` to the learner's counters and moves their last activity up to the event.
    False when the learner no longer exists. Increments in SQL: deliveries of different
    aggregates' events may run concurrently."""
    user_id = event.payload["user_id"]
    if not get_user_model().objects.filter(pk=user_id).exists():
        return False
    StudyAnalyticsView.objects.bulk_create(
        [StudyAnalyticsView(user_id=user_id)], ignore_conflicts=True
    )
    changes: dict[str, Any] = {name: F(name) + amount for name, amount in amounts.items()}
    moment = Value(event.occurred_at, output_field=DateTimeField())
    changes["last_activity_at"] = Greatest(Coalesce(F("last_activity_at"), moment), moment)
    StudyAnalyticsView.objects.filter(user_id=user_id).update(**changes)
    return True


@analytics.on(SUBJECT_CREATED)
def _subject_created(event: DomainEvent) -> None:
    _count(event, subjects_created=1)


@analytics.on(SUMMARY_REQUESTED)
def _summary_requested(event: DomainEvent) -> None:
    _count(event, summaries_requested=1)


@analytics.on(SUMMARY_COMPLETED, SUMMARY_FAILED)
def _summary_finished(event: DomainEvent) -> None:
    outcome = "summaries_completed" if event.event_type == SUMMARY_COMPLETED else "summaries_failed"
    requested = 1 if event.sequence == 1 else 0
    _count(
        event,
        **{outcome: 1},
        summaries_requested=requested,
        tokens_used=int(event.payload["tokens_used"]),
    )


@analytics.on(STUDY_TIME_LOGGED)
def _study_time_logged(event: DomainEvent) -> None:
    minutes = int(event.payload["minutes"])
    if not _count(event, minutes_studied=minutes, sessions_count=1):
        return
    user_id = event.payload["user_id"]
    day = datetime.date.fromisoformat(event.payload["local_date"])
    StudyDailyMinutesView.objects.bulk_create(
        [StudyDailyMinutesView(user_id=user_id, day=day)], ignore_conflicts=True
    )
    StudyDailyMinutesView.objects.filter(user_id=user_id, day=day).update(
        minutes=F("minutes") + minutes
    )
