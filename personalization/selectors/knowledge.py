"""Every read of the personalization domain."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from quiz.selectors import answer_graded_get, question_topics

from .. import knowledge
from ..models import LearnerAbility, LearnerSkillState

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
    """The authored difficulty level whose predicted success is inside the target band."""
    row, states = learner_subject_state(user=user, subject=subject)
    learner = knowledge.Learner()
    if row is not None:
        learner = knowledge.Learner(row.ability, row.n, row.recent, row.last)
    skills = [knowledge.SkillState(s.ability, s.n_observations, s.recent) for s in states]
    levels = [knowledge.Item(knowledge.AUTHORED_DIFFICULTY[d]) for d in DIFFICULTY_LEVELS]
    index = knowledge.success_band_pick(learner, skills, levels, TARGET_BAND)
    return AdaptiveDifficulty(
        subject=subject,
        recommended_difficulty=DIFFICULTY_LEVELS[index],
        ability=knowledge.ability_logit(learner, skills),
        confidence=knowledge.confidence(learner.n),
        predicted_success_rate=knowledge.predict(learner, skills, levels[index]),
        target_success_rate=TARGET_BAND,
    )
