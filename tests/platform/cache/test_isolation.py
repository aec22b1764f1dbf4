"""One learner is never served another learner's value."""

from __future__ import annotations

import pytest

from studymate_api.cache import TaggedCache

pytestmark = pytest.mark.django_db


def test_same_namespace_two_users_two_values(namespace, user, other_user):
    progress = TaggedCache(namespace)

    def compute_for(learner):
        return lambda: {"user": learner.pk, "percent": 10 * learner.pk}

    mine = progress.get_or_set(progress.key(user=user, subject_id=1), compute_for(user))
    theirs = progress.get_or_set(
        progress.key(user=other_user, subject_id=1), compute_for(other_user)
    )

    assert mine["user"] == user.pk
    assert theirs["user"] == other_user.pk
    assert progress.get(progress.key(user=user, subject_id=1)) == mine
    assert progress.get(progress.key(user=other_user, subject_id=1)) == theirs


def test_invalidating_one_user_leaves_the_other_cached(namespace, user, other_user):
    progress = TaggedCache(namespace)
    mine, theirs = progress.key(user=user), progress.key(user=other_user)
    progress.set(mine, "mine", tags=[f"user:{user.pk}"])
    progress.set(theirs, "theirs", tags=[f"user:{other_user.pk}"])

    progress.invalidate_tags(f"user:{user.pk}")

    assert progress.get(mine) is None
    assert progress.get(theirs) == "theirs"


def test_a_key_from_another_namespace_is_refused(namespace, user):
    progress = TaggedCache(namespace)
    with pytest.raises(ValueError, match="not in cache namespace"):
        progress.get(TaggedCache("summaries").key(user=user))
