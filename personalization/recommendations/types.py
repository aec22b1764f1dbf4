"""What every source of recommendations produces."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class RecommendationType(enum.StrEnum):
    REVIEW = "review"
    WEAK_TOPIC = "weak_topic"
    GOAL = "goal"
    SIMILAR_SUBJECT = "similar_subject"
    POPULAR_SUBJECT = "popular_subject"
    POPULAR_QUIZ = "popular_quiz"


@dataclass(frozen=True)
class Recommendation:
    """One suggestion. `key` names what is recommended (`subject:3`, `quiz:9`, `goal:2`) so the
    same thing is offered once; `subject_id` is the subject a learner would open for it, which
    the subjects-only endpoint ranks (None for a subject they may not see). `score` is in
    [0, 1]; `reason` is already translated. `item` gets its `subject` row when the ranked list
    is assembled (`engine`)."""

    type: RecommendationType
    key: str
    score: float
    reason: str
    item: dict[str, Any] = field(default_factory=dict)
    subject_id: int | None = None
