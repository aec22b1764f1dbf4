"""Logging study time: totals, streaks, completion and goal progress."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Exists, F, Max, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from studymate_api.core.errors import validation_failed
from studymate_api.metrics import track_event

from ..caching import LEARNERS_TAG, invalidate_on_commit, progress_tag
from ..events import STUDY_TIME_LOGGED
from ..models import MAX_LOG_MINUTES, GoalStatus, StudyGoal, StudyLog, StudyProgress, Subject
from ..selectors import local_date, subject_get, user_timezone

if TYPE_CHECKING:
    from accounts.models import User

# Minutes that make a subject 100% complete when the learner has no goal for it.
DEFAULT_TARGET_MINUTES = 1200
MAX_TOPICS = 50
_ONE_DAY = datetime.timedelta(days=1)
PROGRESS_LOG_FIELDS = [
    "total_study_minutes",
    "sessions_count",
    "last_studied_at",
    "last_study_date",
    "streak_days",
    "longest_streak_days",
    "completion_percentage",
    "updated_at",
]


def progress_log(
    *,
    user: User,
    subject_id: int,
    minutes: int,
    topics_covered: Iterable[str] = (),
    when: datetime.datetime | None = None,
    announce: bool = True,
) -> StudyProgress:
    """Records `minutes` of study at `when` (default now) and updates the learner's progress in
    the subject: totals, the streak of consecutive days in their time zone, completion, and the
    logged minutes of their active goals created before `when`.

    Records StudyTimeLogged unless `announce` is False: a caller whose own event already tells
    of this time (a finished quiz's QuizCompleted) does not announce it twice.

    Concurrent logs for one learner and subject serialize on the progress row's lock. Joins
    the caller's transaction with no savepoint of its own (a finished quiz logs its time in
    the finish's transaction); the checks that may fail come before any write.
    """
    when = when or timezone.now()
    _check_log(minutes, when)
    subject = subject_get(user=user, subject_id=subject_id)
    day = local_date(when, user_timezone(user))
    topics = list(topics_covered)
    with transaction.atomic(savepoint=False):
        progress, goals = _locked_progress(user, subject, when)
        created = progress.sessions_count == 0
        StudyLog.objects.create(
            user=user,
            subject=subject,
            minutes=minutes,
            topics_covered=topics,
            studied_at=when,
            local_date=day,
        )
        _add_session(progress, minutes, when, day)
        if goals.active:
            _goals_add_minutes(user, subject, minutes, when)
        progress.completion_percentage = _completion(progress.total_study_minutes, goals.target)
        progress.save(update_fields=PROGRESS_LOG_FIELDS)
        if announce:
            _record_logged(progress, user=user, minutes=minutes, topics=topics, when=when, day=day)
        invalidate_on_commit(progress_tag(user.pk), *([LEARNERS_TAG] if created else []))
        transaction.on_commit(
            lambda: track_event(
                "study_time_logged", user=user, subject_id=subject.pk, minutes=minutes
            )
        )
    return progress


def _record_logged(
    progress: StudyProgress,
    *,
    user: User,
    minutes: int,
    topics: list[str],
    when: datetime.datetime,
    day: datetime.date,
) -> None:
    """The log and the progress totals after it."""
    STUDY_TIME_LOGGED.record(
        aggregate_id=progress.pk,
        payload={
            "progress_id": progress.pk,
            "user_id": progress.user_id,
            "subject_id": progress.subject_id,
            "minutes": minutes,
            "topics_covered": topics,
            "studied_at": when.isoformat(),
            "local_date": day.isoformat(),
            "total_study_minutes": progress.total_study_minutes,
            "sessions_count": progress.sessions_count,
            "completion_percentage": progress.completion_percentage,
            "last_studied_at": _isoformat(progress.last_studied_at),
            "last_study_date": _isoformat(progress.last_study_date),
            "streak_days": progress.streak_days,
            "longest_streak_days": progress.longest_streak_days,
        },
        user=user,
    )


def _isoformat(value: datetime.date | None) -> str | None:
    return None if value is None else value.isoformat()


def _check_log(minutes: int, when: datetime.datetime) -> None:
    if not 1 <= minutes <= MAX_LOG_MINUTES:
        raise validation_failed("minutes", _("Log between 1 and 1440 minutes."))
    if when > timezone.now() + datetime.timedelta(minutes=5):
        raise validation_failed("when", _("Study time cannot be logged in the future."))


@dataclass(frozen=True)
class _Goals:
    # Whether active goals created by `when` take the logged minutes.
    active: bool
    # The largest target of the subject's goals that are not abandoned (see
    # `completion_percentage`).
    target: int | None


def _locked_progress(
    user: User, subject: Subject, when: datetime.datetime
) -> tuple[StudyProgress, _Goals]:
    """The progress row, created if missing and locked, with what the log needs to know of the
    learner's goals read in the same query: two statements, and the goals are written only
    when there are some."""
    StudyProgress.objects.bulk_create(
        [StudyProgress(user=user, subject=subject)], ignore_conflicts=True
    )
    goals = StudyGoal.objects.filter(user=user)
    target = (
        goals.filter(subject_id=subject.pk)
        .exclude(status=GoalStatus.ABANDONED)
        .order_by("-target_minutes")
        .values("target_minutes")[:1]
    )
    active = _active_goals(user, subject, when)
    progress = (
        StudyProgress.objects.select_for_update()
        .annotate(goal_target=Subquery(target), goals_active=Exists(active))
        .get(user=user, subject=subject)
    )
    found = _Goals(active=progress.goals_active, target=progress.goal_target)
    return progress, found


def _add_session(
    progress: StudyProgress, minutes: int, when: datetime.datetime, day: datetime.date
) -> None:
    progress.total_study_minutes += minutes
    progress.sessions_count += 1
    if progress.last_studied_at is None or when > progress.last_studied_at:
        progress.last_studied_at = when
    last = progress.last_study_date
    if last is None or day > last + _ONE_DAY:
        progress.streak_days = 1
    elif day == last + _ONE_DAY:
        progress.streak_days += 1
    elif day < last:
        # A late entry for an earlier day can join two runs: count again from the logs.
        progress.streak_days = _streak_ending(progress, last)
    progress.last_study_date = max(day, last) if last else day
    progress.longest_streak_days = max(progress.longest_streak_days, progress.streak_days)


def _streak_ending(progress: StudyProgress, last: datetime.date) -> int:
    days = (
        StudyLog.objects.filter(user_id=progress.user_id, subject_id=progress.subject_id)
        .filter(local_date__lte=last)
        .order_by("-local_date")
        .values_list("local_date", flat=True)
        .distinct()
    )
    streak, expected = 0, last
    for day in days.iterator(chunk_size=100):
        if day != expected:
            break
        streak, expected = streak + 1, expected - _ONE_DAY
    return streak


def _active_goals(user: User, subject: Subject, when: datetime.datetime) -> QuerySet[StudyGoal]:
    return StudyGoal.objects.filter(
        Q(subject=subject) | Q(subject__isnull=True),
        user=user,
        status=GoalStatus.ACTIVE,
        created_at__lte=when,
    )


def _goals_add_minutes(user: User, subject: Subject, minutes: int, when: datetime.datetime) -> None:
    goals = _active_goals(user, subject, when)
    goals.update(logged_minutes=F("logged_minutes") + minutes)
    goals.filter(logged_minutes__gte=F("target_minutes")).update(
        status=GoalStatus.COMPLETED, completed_at=timezone.now()
    )


def completion_percentage(*, user: User, subject_id: int, total_minutes: int) -> float:
    """Minutes studied against the subject's target: the largest target of the learner's goals
    for it that are not abandoned, else DEFAULT_TARGET_MINUTES; capped at 100."""
    target = (
        StudyGoal.objects.filter(user=user, subject_id=subject_id)
        .exclude(status=GoalStatus.ABANDONED)
        .aggregate(target=Max("target_minutes"))["target"]
    )
    return _completion(total_minutes, target)


def _completion(total_minutes: int, target: int | None) -> float:
    target = target or DEFAULT_TARGET_MINUTES
    return round(min(100.0, 100.0 * total_minutes / target), 1)


def progress_refresh_completion(*, user: User, subject_id: int) -> None:
    """After a goal for the subject changed: its target may be another one now."""
    progress = StudyProgress.objects.filter(user=user, subject_id=subject_id).first()
    if progress is None:
        return
    progress.completion_percentage = completion_percentage(
        user=user, subject_id=subject_id, total_minutes=progress.total_study_minutes
    )
    progress.save(update_fields=["completion_percentage", "updated_at"])
    invalidate_on_commit(progress_tag(user.pk))
