"""Writes of study goals."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from ..caching import invalidate_on_commit, progress_tag
from ..models import GoalStatus, StudyGoal
from ..selectors import goal_get, subject_get
from .progress import progress_refresh_completion

if TYPE_CHECKING:
    from accounts.models import User

GOAL_FIELDS = ("title", "target_minutes", "target_date", "status")


@transaction.atomic
def goal_create(
    *,
    user: User,
    title: str,
    target_minutes: int,
    subject_id: int | None = None,
    target_date: datetime.date | None = None,
) -> StudyGoal:
    """A goal counts study logged from now on, in its subject or (without one) in any."""
    subject = subject_get(user=user, subject_id=subject_id) if subject_id is not None else None
    goal = StudyGoal.objects.create(
        user=user,
        subject=subject,
        title=title,
        target_minutes=target_minutes,
        target_date=target_date,
    )
    _goal_changed(goal, user)
    return goal


@transaction.atomic
def goal_update(*, user: User, goal_id: int, data: dict[str, Any]) -> StudyGoal:
    """`data` holds any of GOAL_FIELDS. An active goal whose minutes already reach a (new)
    target is completed; one set back to active loses its completion time."""
    goal = goal_get(user=user, goal_id=goal_id)
    changed = {name for name in GOAL_FIELDS if name in data}
    for name in changed:
        setattr(goal, name, data[name])
    if goal.status == GoalStatus.ACTIVE and goal.logged_minutes >= goal.target_minutes:
        goal.status = GoalStatus.COMPLETED
    if goal.status == GoalStatus.COMPLETED and goal.completed_at is None:
        goal.completed_at = timezone.now()
    elif goal.status != GoalStatus.COMPLETED:
        goal.completed_at = None
    goal.save(update_fields=[*sorted(changed), "status", "completed_at", "updated_at"])
    _goal_changed(goal, user)
    return goal


@transaction.atomic
def goal_delete(*, user: User, goal_id: int) -> None:
    goal = goal_get(user=user, goal_id=goal_id)
    goal.delete()
    _goal_changed(goal, user)


def _goal_changed(goal: StudyGoal, user: User) -> None:
    """A subject's goals set its completion target."""
    if goal.subject_id is not None:
        progress_refresh_completion(user=user, subject_id=goal.subject_id)
    invalidate_on_commit(progress_tag(user.pk))
