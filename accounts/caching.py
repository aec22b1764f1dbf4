"""The accounts domain's cache tag: `user:<id>:profile`, for anything read from a learner's
profile row (the profile endpoint's ETag, see `studymate_api.core.conditional`); the profile
services invalidate it after commit on every write of that row."""

from __future__ import annotations

from django.db import transaction

from studymate_api.cache import invalidate_tags


def profile_tag(user_id: int) -> str:
    return f"user:{user_id}:profile"


def profile_invalidate_on_commit(user_id: int) -> None:
    """After commit, so a concurrent reader cannot pair the old row with the new version."""
    transaction.on_commit(lambda: invalidate_tags(profile_tag(user_id)))
