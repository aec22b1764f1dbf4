"""Writes of study settings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction

from ..caching import invalidate_on_commit, settings_tag
from ..models import StudySettings

if TYPE_CHECKING:
    from accounts.models import User

SETTINGS_FIELDS = (
    "daily_goal_minutes",
    "preferred_difficulty",
    "preferred_ai_provider",
    "reminder_time",
    "pomodoro_minutes",
    "desired_retention",
    "new_cards_per_day",
)


def study_settings_ensure(*, user: User) -> StudySettings:
    """The learner's settings, created with the defaults on first access."""
    settings, _created = StudySettings.objects.get_or_create(user=user)
    return settings


@transaction.atomic
def study_settings_update(*, user: User, data: dict[str, Any]) -> StudySettings:
    """`data` holds any of SETTINGS_FIELDS; the others keep their values."""
    settings = study_settings_ensure(user=user)
    changed = [name for name in SETTINGS_FIELDS if name in data]
    for name in changed:
        setattr(settings, name, data[name])
    if changed:
        settings.save(update_fields=[*changed, "updated_at"])
        invalidate_on_commit(settings_tag(user.pk))
    return settings
