"""What sending needs to know about a learner: language, time zone, preferences."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.core.exceptions import ObjectDoesNotExist

from accounts.selectors import user_profile_language
from study.selectors import user_timezone

from ..models import NotificationPreference
from ..rendering import FALLBACK_LANGUAGE

if TYPE_CHECKING:
    from accounts.models import User


@dataclass(frozen=True)
class Recipient:
    user: User
    language: str
    zone: ZoneInfo
    preference: NotificationPreference

    @property
    def name(self) -> str:
        return self.user.first_name or self.user.username or self.user.email.split("@")[0]


def recipient_for(user: User, preference: NotificationPreference | None = None) -> Recipient:
    """Reads the profile (through accounts' and study's selectors) and the preferences (unsaved
    defaults when the learner has none): no query for what is already loaded with select_related."""
    if preference is None:
        try:
            preference = user.notification_preference
        except ObjectDoesNotExist:
            preference = NotificationPreference(user=user)
    return Recipient(
        user=user,
        language=user_profile_language(user) or FALLBACK_LANGUAGE,
        zone=user_timezone(user),
        preference=preference,
    )
