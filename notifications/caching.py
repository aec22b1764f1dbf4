"""The notifications domain's cache tag: `user:<id>:notification_preferences`, for anything read
from a learner's preference row (the preferences endpoint's ETag, see
`studymate_api.core.conditional`); the preference services invalidate it after commit on every
write of that row."""

from __future__ import annotations

from django.db import transaction

from studymate_api.cache import invalidate_tags


def preferences_tag(user_id: int) -> str:
    return f"user:{user_id}:notification_preferences"


def preferences_invalidate_on_commit(user_id: int) -> None:
    """After commit, so a concurrent reader cannot pair the old row with the new version."""
    transaction.on_commit(lambda: invalidate_tags(preferences_tag(user_id)))
