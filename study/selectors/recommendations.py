"""Subjects to study next: a simple, explainable heuristic until personalization replaces it.

Candidates are subjects the learner can see and has not started (no progress and no summary):
those in the categories they study, and the most popular public subjects. Each gets

    score = 0.5 * affinity + 0.3 * popularity + 0.2 * difficulty_match

- affinity: the share of the learner's study in the subject's category (logged minutes, plus
  SUMMARY_MINUTES per summary), 0 for a learner with no history;
- popularity: log(1 + learners) / log(1 + most learners among the candidates);
- difficulty_match: 1 for the learner's preferred difficulty (study settings), 0.5 one level
  away, 0 two levels away.

Ties go to the subject name. The reason names the parts that contributed.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from ..caching import (
    LAYOUT,
    LEARNERS_TAG,
    SUBJECTS_TAG,
    progress_tag,
    recommendations_cache,
    settings_tag,
)
from ..models import DifficultyLevel, StudyProgress, StudySummary, Subject
from ..pages import Row
from .settings import study_settings_preferences
from .subjects import subject_learner_counts, subject_popular, subject_row, subject_visibility

if TYPE_CHECKING:
    from accounts.models import User

WEIGHT_AFFINITY = 0.5
WEIGHT_POPULARITY = 0.3
WEIGHT_DIFFICULTY = 0.2
# A summary counts like this many minutes of study towards a category's share.
SUMMARY_MINUTES = 15
# Subjects considered from the learner's categories, before scoring.
CATEGORY_CANDIDATES = 200
DEFAULT_LIMIT = 10
MAX_LIMIT = 50

_LEVELS: list[str] = [
    DifficultyLevel.BEGINNER,
    DifficultyLevel.INTERMEDIATE,
    DifficultyLevel.ADVANCED,
]


@dataclass(frozen=True)
class _History:
    started: set[int]
    category_minutes: Counter[str]

    def affinity(self, category: str) -> float:
        total = sum(self.category_minutes.values())
        return self.category_minutes[category] / total if total and category else 0.0


def subject_recommendations(*, user: User, limit: int = DEFAULT_LIMIT) -> list[Row]:
    """`[{subject, score, reason}]`, best first; cached per learner and language."""
    limit = max(1, min(limit, MAX_LIMIT))
    key = recommendations_cache.key(
        "subjects", user=user, limit=limit, lang=get_language(), layout=LAYOUT
    )
    tags = [SUBJECTS_TAG, LEARNERS_TAG, progress_tag(user.pk), settings_tag(user.pk)]
    return recommendations_cache.get_or_set(key, lambda: _recommend(user, limit), tags=tags)


def _recommend(user: User, limit: int) -> list[Row]:
    history = _history(user)
    preferred = study_settings_preferences(user=user).preferred_difficulty
    candidates = _candidates(user, history)
    learners = dict(subject_learner_counts(subject_ids=[s.pk for s in candidates]))
    most = max(learners.values(), default=0)
    scored = [_score(s, history, preferred, learners.get(s.pk, 0), most) for s in candidates]
    scored.sort(key=lambda item: (-item["score"], item["subject"]["name"], item["subject"]["id"]))
    return scored[:limit]


def _history(user: User) -> _History:
    minutes: Counter[str] = Counter()
    started: set[int] = set()
    progress = StudyProgress.objects.filter(user=user).values_list(
        "subject_id", "subject__category", "total_study_minutes"
    )
    for subject_id, category, total in progress:
        started.add(subject_id)
        minutes[category] += total
    summaries = StudySummary.objects.filter(user=user).values_list(
        "subject_id", "subject__category"
    )
    for subject_id, category in summaries:
        started.add(subject_id)
        minutes[category] += SUMMARY_MINUTES
    minutes.pop("", None)
    return _History(started=started, category_minutes=minutes)


def _candidates(user: User, history: _History) -> list[Subject]:
    popular_ids = [pk for pk in subject_popular().subject_ids if pk not in history.started]
    in_categories = (
        Subject.objects.filter(
            subject_visibility(user), category__in=list(history.category_minutes)
        )
        .exclude(pk__in=history.started)
        .order_by("name", "id")[:CATEGORY_CANDIDATES]
    )
    by_id = {subject.pk: subject for subject in in_categories}
    missing = [pk for pk in popular_ids if pk not in by_id]
    if missing:
        by_id.update(Subject.objects.in_bulk(missing))
    return list(by_id.values())


def _score(subject: Subject, history: _History, preferred: str, learners: int, most: int) -> Row:
    affinity = history.affinity(subject.category)
    popularity = math.log1p(learners) / math.log1p(most) if most else 0.0
    match = _difficulty_match(subject.difficulty_level, preferred)
    score = WEIGHT_AFFINITY * affinity + WEIGHT_POPULARITY * popularity + WEIGHT_DIFFICULTY * match
    reason = _reason(subject, affinity=affinity, learners=learners, match=match)
    return {"subject": subject_row(subject), "score": round(score, 3), "reason": reason}


def _difficulty_match(level: str, preferred: str) -> float:
    if level not in _LEVELS or preferred not in _LEVELS:
        return 0.0
    distance = abs(_LEVELS.index(level) - _LEVELS.index(preferred))
    return {0: 1.0, 1: 0.5}.get(distance, 0.0)


def _reason(subject: Subject, *, affinity: float, learners: int, match: float) -> str:
    parts: list[str] = []
    if affinity > 0:
        parts.append(_("You study %(category)s") % {"category": subject.category})
    if learners > 0:
        parts.append(
            ngettext("%(count)d learner studies it", "%(count)d learners study it", learners)
            % {"count": learners}
        )
    if match == 1.0:
        parts.append(
            _("Matches your preferred difficulty (%(level)s)")
            % {"level": subject.get_difficulty_level_display()}
        )
    return "; ".join(parts) or _("A new subject to explore")
