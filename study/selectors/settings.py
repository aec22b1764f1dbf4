"""Reads of study settings."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import F, QuerySet

from ..models import StudySettings

if TYPE_CHECKING:
    from accounts.models import User


@dataclass(frozen=True)
class Reminder:
    time: datetime.time
    daily_goal_minutes: int


def study_settings_preferences(*, user: User) -> StudySettings:
    """The learner's settings, or an unsaved row with the defaults: for reads that must not
    create one (the endpoint creates it on first access, see `study_settings_ensure`)."""
    found = StudySettings.objects.filter(user=user).first()
    return found if found is not None else StudySettings(user=user)


def learners_with_reminder(users: QuerySet[Any]) -> QuerySet[Any]:
    """`users` narrowed to those with a reminder time, each carrying its reminder (read it with
    `learner_reminder`): joined into the caller's query, so a scan pays no query per learner."""
    annotated: QuerySet[Any] = users.filter(study_settings__reminder_time__isnull=False).annotate(
        _reminder_time=F("study_settings__reminder_time"),
        _reminder_goal_minutes=F("study_settings__daily_goal_minutes"),
    )
    return annotated


def learner_reminder(user: User) -> Reminder:
    """The reminder of a user read through `learners_with_reminder`."""
    annotated: Any = user
    return Reminder(
        time=annotated._reminder_time, daily_goal_minutes=annotated._reminder_goal_minutes
    )
