"""The personalization domain's cached reads and their invalidation.

Everything cached about one learner (their profile here, their recommendations in
`recommendations`) is tagged with `personalization_user_tag(user_id)`; every update of that
learner's model (graded answers, finished quizzes, logged study time, sessions, reviews,
`update_pattern`) invalidates the tag after its transaction commits.
"""

from __future__ import annotations

from django.db import transaction

from studymate_api.cache import TaggedCache, invalidate_tags

# Part of every key: bump it when the layout of a cached value changes, so a deploy never
# unpickles values written by the old code.
LAYOUT = 1

profile_cache = TaggedCache("personalization_profile")


def personalization_user_tag(user_id: int) -> str:
    return f"user:{user_id}:personalization"


def personalization_invalidate_on_commit(user_id: int) -> None:
    """After commit, so a concurrent reader cannot cache the old model again in between."""
    tag = personalization_user_tag(user_id)
    transaction.on_commit(lambda: invalidate_tags(tag))
