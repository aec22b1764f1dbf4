"""The quiz domain's cache tag: `quizzes`, for anything read from quizzes, their questions and
choices (the catalogue's ETags, see `studymate_api.core.conditional`). The authoring services
invalidate it after commit on every such write."""

from __future__ import annotations

from django.db import transaction

from studymate_api.cache import invalidate_tags

QUIZZES_TAG = "quizzes"


def quizzes_invalidate_on_commit() -> None:
    """After commit, so a concurrent reader cannot pair the old rows with the new version."""
    transaction.on_commit(lambda: invalidate_tags(QUIZZES_TAG))
