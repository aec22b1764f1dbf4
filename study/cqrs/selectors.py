"""Reads of the `/api/cqrs/` endpoints that have no REST twin of the same shape, built on the
selectors the REST endpoints use, so both answer the same figures: the summaries of
`GET /api/study/summaries/` without their source content, and the learner's totals over
their summaries, their progress (`GET /api/study/progress/`) and the subjects they created.
Only ever the learner's own.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Max, Q, Sum
from django.utils import timezone

from study import selectors
from study.models import StudyLog, StudySummary, Subject, SummaryStatus
from study.pages import Page, PageRequest, Row, iso, page_of

if TYPE_CHECKING:
    from accounts.models import User

ANALYTICS_DAYS = 30


def summary_list_row(summary: StudySummary) -> Row:
    return {
        "id": summary.pk,
        "subject": summary.subject_id,
        "title": summary.title,
        "summary": summary.summary,
        "summary_type": summary.summary_type,
        "status": summary.status,
        "provider": summary.provider,
        "model": summary.model,
        "tokens_used": summary.tokens_used,
        "error_code": summary.error_code,
        "error": summary.error,
        "created_at": iso(summary.created_at),
        "completed_at": iso(summary.completed_at),
    }


def summary_page(
    *,
    user: User,
    page: PageRequest,
    subject_id: int | None = None,
    status: str | None = None,
    summary_type: str | None = None,
) -> Page:
    """The rows of `GET /api/study/summaries/`, newest first, without the source content (up to
    50,000 characters each). Two queries: the count and the rows."""
    summaries = selectors.summary_list(
        user=user, subject_id=subject_id, status=status, summary_type=summary_type
    ).defer("content")
    return page_of(summaries, page, summary_list_row)


def study_analytics(*, user: User, days: int = ANALYTICS_DAYS) -> dict[str, Any]:
    """The learner's totals, counted from the study rows themselves (no counter of their own),
    and their minutes per local day, oldest first, for the `days` days up to today (days
    without study included, as 0). Five queries."""
    summaries = selectors.summary_list(user=user).aggregate(
        summaries_requested=Count("id"),
        summaries_completed=Count("id", filter=Q(status=SummaryStatus.COMPLETED)),
        summaries_failed=Count("id", filter=Q(status=SummaryStatus.FAILED)),
        tokens_used=Sum("tokens_used", default=0),
        last_requested=Max("created_at"),
        last_finished=Max("completed_at"),
    )
    progress = selectors.progress_list(user=user).aggregate(
        minutes_studied=Sum("total_study_minutes", default=0),
        sessions_count=Sum("sessions_count", default=0),
        last_studied=Max("last_studied_at"),
    )
    # The learner's own subjects, deleted ones no longer counted.
    subjects = Subject.objects.filter(created_by=user).aggregate(
        subjects_created=Count("id"), last_created=Max("created_at")
    )
    moments = [
        summaries.pop("last_requested"),
        summaries.pop("last_finished"),
        progress.pop("last_studied"),
        subjects.pop("last_created"),
    ]
    today = selectors.local_date(timezone.now(), selectors.user_timezone(user))
    first = today - datetime.timedelta(days=days - 1)
    minutes = dict(
        StudyLog.objects.filter(user=user, local_date__gte=first, local_date__lte=today)
        .values_list("local_date")
        .annotate(minutes=Sum("minutes"))
        .order_by("local_date")
    )
    calendar = [first + datetime.timedelta(days=n) for n in range(days)]
    return {
        **subjects,
        **summaries,
        **progress,
        "last_activity_at": iso(max((m for m in moments if m is not None), default=None)),
        "daily_minutes": [
            {"date": day.isoformat(), "minutes": minutes.get(day, 0)} for day in calendar
        ],
    }
