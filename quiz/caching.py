"""The quiz domain's cached reads: the namespace, tags and invalidation after commit.

Tags name what a cached value was read from:
- `quizzes`: any quiz, question or choice (the catalogue's lists and their ETags, see
  `studymate_api.core.conditional`);
- `quiz:<id>`: one quiz with its questions and choices (its cached detail).

The authoring services invalidate both after commit on every write of a quiz, its questions or
their choices.
"""

from __future__ import annotations

from django.db import transaction

from studymate_api.cache import TaggedCache, invalidate_tags

# Part of every key: bump it when the layout of a cached value (`selectors.QuizDetail`) changes,
# so a deploy never unpickles values written by the old code.
LAYOUT = 2

quiz_cache = TaggedCache("quizzes")

QUIZZES_TAG = "quizzes"


def quiz_tag(quiz_id: int) -> str:
    return f"quiz:{quiz_id}"


def quiz_detail_key(quiz_id: int) -> str:
    """The key of a quiz's cached detail: the selector stores it, the view reads it ahead. One
    value for every viewer (it holds each rendering), so it is keyed by the quiz alone."""
    return quiz_cache.key("detail", layout=LAYOUT, quiz=quiz_id)


def quizzes_invalidate_on_commit(quiz_id: int) -> None:
    """After commit, so a concurrent reader cannot pair the old rows with the new version."""
    tags = (QUIZZES_TAG, quiz_tag(quiz_id))
    transaction.on_commit(lambda: invalidate_tags(*tags))
