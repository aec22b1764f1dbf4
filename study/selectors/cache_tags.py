"""The study cache tags other apps put on values they read from study data."""

from __future__ import annotations

from ..caching import SUBJECTS_TAG, progress_tag


def subject_cache_tags() -> tuple[str, ...]:
    """Tags for a value that shows subject rows or depends on which subjects exist (another
    app's rows that point at a subject lose it when it is deleted): the subject services
    invalidate them on every subject write."""
    return (SUBJECTS_TAG,)


def study_learner_cache_tags(*, user_id: int) -> tuple[str, ...]:
    """Tags for a value read from one learner's study data (progress, goals, summaries' subjects)
    and the subjects they can see: the study services invalidate them on every such write.

    Not the learners of every subject (`subject_learners`): a value that also counts other
    learners (popularity) may show counts up to its cache TTL old, rather than be emptied for
    everyone whenever anyone starts a subject."""
    return (SUBJECTS_TAG, progress_tag(user_id))
