"""Every read of the personalization domain."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import OuterRef
from django.utils import timezone

from quiz.selectors import (
    answer_graded_get,
    question_level,
    question_topics,
    subject_question_ids,
)

from .. import knowledge
from ..models import ItemDifficulty, LearnerAbility, LearnerSkillState
from ..models.knowledge import knowledge_day

if TYPE_CHECKING:
    from accounts.models import User
    from quiz.models import UserAnswer
    from study.models import Subject

DIFFICULTY_LEVELS = ("easy", "medium", "hard")
TARGET_BAND = (0.70, 0.85)


@dataclass(frozen=True)
class GradedAnswer:
    answer_id: int
    user_id: int
    question_id: int
    subject_id: int | None
    skills: tuple[str, ...]
    authored_difficulty: str
    correct: bool
    # How long the learner took to answer, when known (spaced review rates a fast answer easy).
    seconds: float | None = None
    # When it was answered (the knowledge model's forgetting counts the days between a skill's
    # answers); None: now.
    answered_at: datetime.datetime | None = None


def answer_skills(topics: object, subject_name: str | None) -> tuple[str, ...]:
    """A question's topic tags; the quiz's subject when it has none."""
    tags = [t.strip() for t in topics if isinstance(t, str)] if isinstance(topics, list) else []
    skills = sorted({t[:200] for t in tags if t})
    if not skills and subject_name:
        skills = [subject_name[:200]]
    return tuple(skills)


def graded_answer_get(*, answer_id: int) -> GradedAnswer | None:
    """The answer as the knowledge model needs it; None unless it exists and is graded."""
    answer = answer_graded_get(answer_id=answer_id)
    return None if answer is None else _graded(answer)


def _graded(answer: UserAnswer) -> GradedAnswer:
    question, subject = answer.question, answer.question.quiz.subject
    return GradedAnswer(
        answer_id=answer.pk,
        user_id=answer.attempt.user_id,
        question_id=question.pk,
        subject_id=subject.pk if subject else None,
        skills=answer_skills(question.topics, subject.name if subject else None),
        authored_difficulty=question.difficulty,
        correct=bool(answer.is_correct),
        seconds=answer.response_seconds,
        answered_at=answer.created_at,
    )


def subject_skills(*, subject: Subject) -> set[str]:
    """Every skill an answer in this subject can train (see `answer_skills`)."""
    skills = {subject.name[:200]}
    for topics in question_topics(subject_id=subject.pk):
        skills.update(answer_skills(topics, subject.name))
    return skills


def learner_subject_state(
    *, user: User, subject: Subject
) -> tuple[LearnerAbility | None, list[LearnerSkillState]]:
    ability = LearnerAbility.objects.filter(user=user, subject=subject).first()
    states = list(
        LearnerSkillState.objects.filter(user=user, skill__in=subject_skills(subject=subject))
    )
    return ability, states


@dataclass(frozen=True)
class AdaptiveDifficulty:
    subject: Subject
    recommended_difficulty: str
    ability: float
    confidence: float
    predicted_success_rate: float
    target_success_rate: tuple[float, float]


def adaptive_difficulty_get(*, user: User, subject: Subject) -> AdaptiveDifficulty:
    """The authored difficulty level whose predicted success is inside the target band:
    predicted on the subject's questions of that level as the answers calibrated them (the
    most answered LEVEL_SAMPLE of the subject; a level nobody answered yet: its authored
    start). The learned difficulties are what makes the prediction fit the learner's practice
    counts, which raise every logit: an authored level alone would overrate the learner."""
    row, states = learner_subject_state(user=user, subject=subject)
    learner = knowledge.Learner() if row is None else row.state()
    skills = [state.state() for state in states]
    now = knowledge_day(timezone.now())
    by_level = _calibrated_levels(subject)
    predicted = [
        _mean_success(learner, skills, by_level.get(level) or [knowledge.new_item(level)], now)
        for level in DIFFICULTY_LEVELS
    ]
    index = knowledge.band_pick(predicted, TARGET_BAND)
    return AdaptiveDifficulty(
        subject=subject,
        recommended_difficulty=DIFFICULTY_LEVELS[index],
        ability=knowledge.ability_logit(learner, skills, now),
        confidence=knowledge.confidence(learner.n),
        predicted_success_rate=predicted[index],
        target_success_rate=TARGET_BAND,
    )


# How many of a subject's answered questions calibrate its levels (the most answered first):
# enough to average out single questions, bounded whatever the subject's size.
LEVEL_SAMPLE = 300


def _calibrated_levels(subject: Subject) -> dict[str, list[knowledge.Item]]:
    """The subject's answered questions by authored level, as the model learned them. One
    query."""
    rows = (
        ItemDifficulty.objects.filter(
            n__gt=0, question_id__in=subject_question_ids(subject_id=subject.pk)
        )
        .annotate(level=question_level(OuterRef("question_id")))
        .order_by("-n", "question_id")[:LEVEL_SAMPLE]
    )
    by_level: dict[str, list[knowledge.Item]] = {}
    for item in rows:
        by_level.setdefault(item.level, []).append(item.state())
    return by_level


def _mean_success(
    learner: knowledge.Learner,
    skills: list[knowledge.SkillState],
    items: list[knowledge.Item],
    now: float | None,
) -> float:
    return sum(knowledge.predict(learner, skills, item, now) for item in items) / len(items)
