"""Reads of study settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..models import StudySettings

if TYPE_CHECKING:
    from accounts.models import User


def study_settings_preferences(*, user: User) -> StudySettings:
    """The learner's settings, or an unsaved row with the defaults: for reads that must not
    create one (the endpoint creates it on first access, see `study_settings_ensure`)."""
    found = StudySettings.objects.filter(user=user).first()
    return found if found is not None else StudySettings(user=user)
