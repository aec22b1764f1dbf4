"""The ranked recommendations of one learner, cached.

Every source's suggestions are computed together, given their `subject` rows and cached per
learner and language (reasons are translated) under the tags of everything they were read
from: the learner's model (`personalization_user_tag`: graded answers, reviews, sessions...),
their study data and the subjects they can see (`study_learner_cache_tags`). Both endpoints
rank that one cached list: all of it, or only the suggestions that lead to a subject. What
changes without a write of this learner or of subjects (a review falling due, another learner's
new public quiz, other learners starting a subject, which moves its popularity) shows up when the
value expires (the `recommendations` namespace's TTL): another learner's summary or study time
leaves this learner's cached list alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from django.utils.translation import get_language

from study.selectors import study_learner_cache_tags, subject_list, subject_row
from studymate_api.cache import TaggedCache

from ..caching import personalization_user_tag
from . import discovery, sources
from .context import LearnerContext, learner_context
from .ranking import diversified, unique
from .types import Recommendation, RecommendationType

if TYPE_CHECKING:
    from accounts.models import User

# Part of every key: bump it when `Recommendation` or the item layout changes, so a deploy never
# unpickles values written by the old code.
LAYOUT = 1
DEFAULT_LIMIT = 10
MAX_LIMIT = 50

recommendations_cache = TaggedCache("recommendations")

SOURCES: tuple[Callable[[LearnerContext], list[Recommendation]], ...] = (
    sources.due_reviews,
    sources.weak_topics,
    sources.goals_behind,
    discovery.similar_subjects,
    discovery.popular_subjects,
    discovery.popular_quizzes,
)
# Suggestions that lead to a subject, for the subjects-only endpoint.
SUBJECT_TYPES = frozenset(
    {
        RecommendationType.WEAK_TOPIC,
        RecommendationType.GOAL,
        RecommendationType.REVIEW,
        RecommendationType.SIMILAR_SUBJECT,
        RecommendationType.POPULAR_SUBJECT,
    }
)


def recommendation_list(*, user: User, limit: int = DEFAULT_LIMIT) -> list[dict[str, Any]]:
    """`[{type, item, score, reason}]`, best first, at most 3 of a type in the top 10."""
    ranked = diversified(unique(_candidates(user)))[:limit]
    return [
        {"type": r.type.value, "item": r.item, "score": round(r.score, 3), "reason": r.reason}
        for r in ranked
    ]


def subject_recommendation_list(*, user: User, limit: int = DEFAULT_LIMIT) -> list[dict[str, Any]]:
    """`[{subject, score, reason}]`: the suggestions that lead to a subject, one per subject."""
    leading = [r for r in _candidates(user) if r.type in SUBJECT_TYPES and r.subject_id]
    ranked = diversified(unique(leading, key=lambda r: r.subject_id))[:limit]
    return [
        {"subject": r.item["subject"], "score": round(r.score, 3), "reason": r.reason}
        for r in ranked
    ]


def _candidates(user: User) -> list[Recommendation]:
    key = recommendations_cache.key("all", user=user, lang=get_language(), layout=LAYOUT)
    tags = [personalization_user_tag(user.pk), *study_learner_cache_tags(user_id=user.pk)]
    return recommendations_cache.get_or_set(key, lambda: _compute(user), tags=tags)


def _compute(user: User) -> list[Recommendation]:
    ctx = learner_context(user)
    found = [recommendation for source in SOURCES for recommendation in source(ctx)]
    return _with_subjects(user, found)


def _with_subjects(user: User, found: Sequence[Recommendation]) -> list[Recommendation]:
    """Sets `item.subject` (the subject row, or None). One query. A suggestion of a subject
    the learner may not see (made private since it was read) is dropped."""
    ids = {r.subject_id for r in found if r.subject_id is not None}
    visible = subject_list(user=user).filter(pk__in=ids) if ids else []
    rows = {subject.pk: subject_row(subject) for subject in visible}
    kept = []
    for recommendation in found:
        row = rows.get(recommendation.subject_id) if recommendation.subject_id else None
        if recommendation.subject_id is not None and row is None:
            if recommendation.key.startswith("subject:"):
                continue
            recommendation = replace(recommendation, subject_id=None)
        kept.append(replace(recommendation, item={"subject": row, **recommendation.item}))
    return kept
