"""Reads of study goals: only ever the learner's own."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from studymate_api.core.errors import NotFound

from ..models import GoalStatus, StudyGoal

if TYPE_CHECKING:
    from accounts.models import User


def goal_list(
    *, user: User, subject_id: int | None = None, status: str | None = None
) -> QuerySet[StudyGoal]:
    goals = StudyGoal.objects.filter(user=user)
    if subject_id is not None:
        goals = goals.filter(subject_id=subject_id)
    if status is not None:
        goals = goals.filter(status=status)
    return goals.order_by("-created_at", "-id")


def goal_active_list(*, user: User) -> QuerySet[StudyGoal]:
    return goal_list(user=user, status=GoalStatus.ACTIVE)


def goal_get(*, user: User, goal_id: int) -> StudyGoal:
    goal = StudyGoal.objects.filter(user=user, pk=goal_id).first()
    if goal is None:
        raise NotFound(_("Goal not found."))
    return goal
