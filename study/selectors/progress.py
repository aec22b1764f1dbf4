"""Reads of study progress: lists, streaks as of today in the learner's time zone."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone

from studymate_api.core.errors import NotFound

from ..caching import LAYOUT, SUBJECTS_TAG, progress_cache, progress_tag
from ..models import StudyLog, StudyProgress, Subject
from ..pages import Page, PageRequest, Row, iso, page_of

if TYPE_CHECKING:
    from accounts.models import User

DEFAULT_TIMEZONE = "Asia/Seoul"


def user_timezone(user: User) -> ZoneInfo:
    """The learner's profile time zone; Asia/Seoul when there is no profile or the name is
    unknown. Reads `user.profile` (one query unless already loaded)."""
    try:
        name = user.profile.timezone or DEFAULT_TIMEZONE
    except ObjectDoesNotExist:
        name = DEFAULT_TIMEZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def local_date(moment: datetime.datetime, zone: ZoneInfo) -> datetime.date:
    return moment.astimezone(zone).date()


def current_streak(
    streak_days: int, last_study_date: datetime.date | None, today: datetime.date
) -> int:
    """A run of study days still counts today and the day after its last day (the learner
    may study later today); after that it is broken."""
    if last_study_date is None or last_study_date < today - datetime.timedelta(days=1):
        return 0
    return streak_days


def progress_list(*, user: User) -> QuerySet[StudyProgress]:
    return (
        StudyProgress.objects.filter(user=user)
        .select_related("subject")
        .order_by(F("last_studied_at").desc(nulls_last=True), "-id")
    )


def progress_get(*, user: User, subject_id: int) -> StudyProgress:
    """The learner's progress in one subject; none logged yet is not found."""
    # `subject__pk`, not `subject_id`: Django answers an id past the column's range with no row
    # only on the related model's key (the raw column overflows: a 500 on SQLite).
    progress = progress_list(user=user).filter(subject__pk=subject_id).first()
    if progress is None:
        raise NotFound()
    return progress


def progress_row(progress: StudyProgress, *, today: datetime.date | None = None) -> Row:
    """Plain data; with `today`, `streak_days` is the streak as of that (local) day."""
    streak = progress.streak_days
    if today is not None:
        streak = current_streak(streak, progress.last_study_date, today)
    return {
        "id": progress.pk,
        "subject": progress.subject_id,
        "subject_name": progress.subject.name,
        "total_study_minutes": progress.total_study_minutes,
        "sessions_count": progress.sessions_count,
        "completion_percentage": progress.completion_percentage,
        "last_studied_at": iso(progress.last_studied_at),
        "streak_days": streak,
        "longest_streak_days": progress.longest_streak_days,
    }


@dataclass(frozen=True)
class _CachedPage:
    page: Page
    # The next local midnight that breaks a streak on the page (a POSIX timestamp).
    valid_until: float


def progress_page(*, user: User, page: PageRequest) -> Page:
    """The learner's progress per subject, cached per user.

    Streaks are shown as of today in the learner's time zone; a cached page is recomputed once
    a local midnight has broken one of its streaks. A time zone change shows within the
    namespace's TTL. Rows carry their subject's name: a subject write invalidates them too.
    """
    key = progress_cache.key("list", user=user, page=page.number, size=page.size, layout=LAYOUT)
    tags = [progress_tag(user.pk), SUBJECTS_TAG]
    cached = progress_cache.get_or_set(key, lambda: _progress_page(user, page), tags=tags)
    if timezone.now().timestamp() >= cached.valid_until:
        progress_cache.delete(key)
        cached = progress_cache.get_or_set(key, lambda: _progress_page(user, page), tags=tags)
    return cached.page


def _progress_page(user: User, page: PageRequest) -> _CachedPage:
    zone = user_timezone(user)
    now = timezone.now()
    today = local_date(now, zone)
    breaks: list[datetime.datetime] = []

    def render(progress: StudyProgress) -> Row:
        row = progress_row(progress, today=today)
        if row["streak_days"] and progress.last_study_date is not None:
            day_after_next = progress.last_study_date + datetime.timedelta(days=2)
            breaks.append(datetime.datetime.combine(day_after_next, datetime.time.min, zone))
        return row

    rows = page_of(progress_list(user=user), page, render)
    valid_until = min(breaks).timestamp() if breaks else float("inf")
    return _CachedPage(page=rows, valid_until=valid_until)


def subject_learners(*, subject_id: int) -> Q:
    """A filter on users: those with progress in the subject, and its creator (subqueries)."""
    studying = StudyProgress.objects.filter(subject_id=subject_id).values("user_id")
    created = Subject.objects.filter(pk=subject_id).values("created_by_id")
    return Q(pk__in=studying) | Q(pk__in=created)


def learner_ids_studied_since(*, since: datetime.datetime) -> QuerySet[StudyLog, int]:
    """The ids of the learners who logged study time at or after `since` (a subquery)."""
    return StudyLog.objects.filter(studied_at__gte=since).values_list("user_id", flat=True)


def learner_ids_on_streak(*, studied_since: datetime.date) -> QuerySet[StudyProgress, int]:
    """The ids of the learners with a running streak in a subject they studied on or after
    `studied_since` (a subquery)."""
    streaks = StudyProgress.objects.filter(streak_days__gte=1, last_study_date__gte=studied_since)
    return streaks.values_list("user_id", flat=True)


def learner_ids_studied_on_or_after(*, day: datetime.date) -> QuerySet[StudyLog, int]:
    """The ids of the learners who logged study time on a local date on or after `day`."""
    return StudyLog.objects.filter(local_date__gte=day).values_list("user_id", flat=True)


def study_week(*, user: User, week_start: datetime.date) -> dict[str, Any]:
    """The learner's study in the local week from `week_start`: total minutes, sessions, and
    minutes per subject (most first). Two queries."""
    week_end = week_start + datetime.timedelta(days=6)
    logs = StudyLog.objects.filter(user=user, local_date__range=(week_start, week_end))
    by_subject = (
        logs.values("subject__name")
        .annotate(minutes=Sum("minutes"))
        .order_by("-minutes", "subject__name")
    )
    totals = logs.aggregate(minutes=Sum("minutes"), sessions=Count("id"))
    return {
        "week_start": week_start.isoformat(),
        "week_end": week_end.isoformat(),
        "total_minutes": totals["minutes"] or 0,
        "sessions": totals["sessions"],
        "subjects": [
            {"name": row["subject__name"], "minutes": row["minutes"]} for row in by_subject
        ],
    }
