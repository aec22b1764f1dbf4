"""Reads of the study read models (the projections' tables): only ever the learner's own."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import F
from django.utils import timezone

from study.models import ProgressView, StudyAnalyticsView, StudyDailyMinutesView, SummaryView
from study.pages import Page, PageRequest, Row, iso, page_of
from study.selectors import current_streak, local_date, user_timezone

from .messages import SummaryFilters

if TYPE_CHECKING:
    from accounts.models import User

ANALYTICS_COUNTERS = (
    "subjects_created",
    "summaries_requested",
    "summaries_completed",
    "summaries_failed",
    "tokens_used",
    "minutes_studied",
    "sessions_count",
)


def summary_view_row(view: SummaryView) -> Row:
    return {
        "id": view.summary_id,
        "subject": view.subject_id,
        "title": view.title,
        "summary": view.summary_text,
        "summary_type": view.summary_type,
        "status": view.status,
        "provider": view.provider,
        "model": view.model,
        "tokens_used": view.tokens_used,
        "error_code": view.error_code,
        "error": view.error,
        "created_at": iso(view.requested_at),
        "completed_at": iso(view.completed_at),
    }


def summary_view_page(*, user: User, filters: SummaryFilters, page: PageRequest) -> Page:
    """Two queries: the count and the rows."""
    views = SummaryView.objects.filter(user=user)
    if filters.subject_id is not None:
        views = views.filter(subject_id=filters.subject_id)
    if filters.status is not None:
        views = views.filter(status=filters.status)
    if filters.summary_type is not None:
        views = views.filter(summary_type=filters.summary_type)
    return page_of(views.order_by("-requested_at", "-summary_id"), page, summary_view_row)


def progress_view_row(view: ProgressView, *, today: datetime.date) -> Row:
    """Shaped like the REST progress row; the streak as of the learner's today."""
    return {
        "id": view.progress_id,
        "subject": view.subject_id,
        "subject_name": view.subject.name,
        "total_study_minutes": view.total_study_minutes,
        "sessions_count": view.sessions_count,
        "completion_percentage": view.completion_percentage,
        "last_studied_at": iso(view.last_studied_at),
        "streak_days": current_streak(view.streak_days, view.last_study_date, today),
        "longest_streak_days": view.longest_streak_days,
    }


def progress_view_page(*, user: User, page: PageRequest) -> Page:
    """Three queries: the time zone, the count and the rows."""
    today = local_date(timezone.now(), user_timezone(user))
    views = (
        ProgressView.objects.filter(user=user)
        .select_related("subject")
        .order_by(F("last_studied_at").desc(nulls_last=True), "-progress_id")
    )
    return page_of(views, page, lambda view: progress_view_row(view, today=today))


def study_analytics(*, user: User, days: int) -> dict[str, Any]:
    """The learner's totals and minutes per local day, oldest first, for the `days` days up to
    today (days without study included, as 0). Three queries."""
    totals = StudyAnalyticsView.objects.filter(user=user).first()
    today = local_date(timezone.now(), user_timezone(user))
    first = today - datetime.timedelta(days=days - 1)
    minutes = dict(
        StudyDailyMinutesView.objects.filter(user=user, day__gte=first, day__lte=today)
        .values_list("day", "minutes")
        .order_by("day")
    )
    daily = [first + datetime.timedelta(days=n) for n in range(days)]
    return {
        **{name: getattr(totals, name) if totals else 0 for name in ANALYTICS_COUNTERS},
        "last_activity_at": iso(totals.last_activity_at) if totals else None,
        "daily_minutes": [
            {"date": day.isoformat(), "minutes": minutes.get(day, 0)} for day in daily
        ],
    }
