"""Reads of study settings, and the port through which the settings show what spaced review
would cost a day at them (`review_workload_port`, provided by personalization, which owns the
review cards; study cannot import it)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from django.db.models import F, QuerySet

from studymate_api.ports import Port

from ..models import StudySettings

if TYPE_CHECKING:
    from accounts.models import User


@dataclass(frozen=True)
class Reminder:
    time: datetime.time
    daily_goal_minutes: int


class ReviewWorkload(Protocol):
    def daily_reviews(
        self, *, user_id: int, desired_retention: float, new_cards_per_day: int
    ) -> float | None:
        """Expected reviews a day for the learner at these settings; None when unknown."""

    def cache_tags(self, user_id: int) -> list[str]:
        """The cache tags whose invalidation changes that figure (the learner's cards)."""


class _NoWorkload:
    def daily_reviews(
        self, *, user_id: int, desired_retention: float, new_cards_per_day: int
    ) -> float | None:
        return None

    def cache_tags(self, user_id: int) -> list[str]:
        return []


review_workload_port: Port[ReviewWorkload] = Port("study.review_workload", default=_NoWorkload())


def study_settings_workload(settings: StudySettings) -> float | None:
    """Expected daily reviews at these settings (see `ReviewWorkload`)."""
    return review_workload_port.get().daily_reviews(
        user_id=settings.user_id,
        desired_retention=settings.desired_retention,
        new_cards_per_day=settings.new_cards_per_day,
    )


def study_settings_cache_tags(user_id: int) -> list[str]:
    """The tags of the settings' answer beside their own (the workload's)."""
    return review_workload_port.get().cache_tags(user_id)


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
