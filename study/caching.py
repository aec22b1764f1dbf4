"""The study domain's cached reads: namespaces, tags and invalidation after commit.

Tags name what a cached value was read from:
- `subjects`: any subject row (lists, popular, the subject names in progress rows;
  personalization's recommendations);
- `subject_learners`: who studies which subject (popular; recommendations);
- `user:<id>:progress`: one learner's progress and goals (their progress list; recommendations);
- `user:<id>:study_settings`: one learner's study settings.

`selectors.study_learner_cache_tags` hands the first three to other apps.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from django.db import transaction

from studymate_api.cache import TaggedCache, invalidate_tags

if TYPE_CHECKING:
    from accounts.models import User

    from .pages import PageRequest
    from .selectors import SubjectFilters

# Part of every key: bump it when the layout of a cached value (`pages.Page`, the dataclasses
# in the selectors) changes, so a deploy never unpickles values written by the old code.
LAYOUT = 1

subjects_cache = TaggedCache("subjects")
progress_cache = TaggedCache("progress")

SUBJECTS_TAG = "subjects"
LEARNERS_TAG = "subject_learners"


def progress_tag(user_id: int) -> str:
    return f"user:{user_id}:progress"


def settings_tag(user_id: int) -> str:
    return f"user:{user_id}:study_settings"


def invalidate_on_commit(*tags: str) -> None:
    """After commit, so a concurrent reader cannot cache the old rows again in between."""
    transaction.on_commit(lambda: invalidate_tags(*tags))


def subject_page_key(*, user: User, filters: SubjectFilters, page: PageRequest) -> str:
    """The key of a page of the subjects list: the selector stores it, the view reads it ahead."""
    if user.pk is None:
        raise ValueError("an unsaved User cannot be part of a cache key")
    return _subject_page_key(user.pk, filters, page)


# Built twice per cached page (its read-ahead, then the selector), for few distinct requests.
@functools.lru_cache(maxsize=4096)
def _subject_page_key(user_id: int, filters: SubjectFilters, page: PageRequest) -> str:
    return subjects_cache.key(
        "list",
        layout=LAYOUT,
        user=user_id,
        category=filters.category,
        difficulty=filters.difficulty_level,
        public=filters.is_public,
        search=filters.search,
        page=page.number,
        size=page.size,
    )
