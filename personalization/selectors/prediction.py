"""Performance prediction from the knowledge model (`personalization.knowledge`).

- P(correct) for a question: `knowledge.predict` with the learner's ability in the question's
  subject, their states on its topics, and the question's learned difficulty (its authored
  difficulty until someone answers it).
- Expected quiz score: the sum over the quiz's questions of points x P(correct), and the chance
  of passing from a normal approximation of that sum (its variance is the sum of
  points^2 x p(1-p): answers are treated as independent given the learner's state). With
  `questions_per_attempt` an attempt draws a random subset; the expected *percentage* is the
  same, and `expected_score` is over the whole pool.
- Readiness for a goal by its date: `time_readiness` = min(1, projected / target) where
  projected = logged + pace x days left and pace = minutes logged towards the goal per day
  since it was created; `mastery` = predicted success on a medium question of the goal's
  subject (all subjects for a goal without one), None before any graded answer. `readiness` is
  their mean (time alone without mastery); `on_track` says the projection reaches the target.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils import timezone

from quiz.selectors import access_quiz
from study.selectors import goal_active_list

from .. import knowledge
from ..models import ItemDifficulty, LearnerAbility, LearnerSkillState
from ..models.knowledge import knowledge_day
from .knowledge import answer_skills

if TYPE_CHECKING:
    from accounts.models import User
    from quiz.models import Question
    from study.models import StudyGoal


def learner_state(row: LearnerAbility | None) -> knowledge.Learner:
    return knowledge.Learner() if row is None else row.state()


def item_state(question: Question, row: ItemDifficulty | None) -> knowledge.Item:
    return knowledge.new_item(question.difficulty) if row is None else row.state()


def _skill_states(user: User, skills: Iterable[str]) -> dict[str, knowledge.SkillState]:
    rows = LearnerSkillState.objects.filter(user=user, skill__in=set(skills))
    return {row.skill: row.state() for row in rows}


def _subject_ability(user: User, subject_id: int | None) -> LearnerAbility | None:
    rows = LearnerAbility.objects.filter(user=user)
    if subject_id is None:
        return rows.filter(subject__isnull=True).first()
    return rows.filter(subject_id=subject_id).first()


@dataclass(frozen=True)
class QuestionPrediction:
    question_id: int
    points: float
    probability_correct: float


@dataclass(frozen=True)
class QuizPrediction:
    quiz_id: int
    title: str
    expected_score: float
    max_score: float
    expected_percentage: float
    pass_percentage: float
    pass_probability: float
    confidence: float
    questions: list[QuestionPrediction]


def quiz_prediction(*, user: User, quiz_id: int) -> QuizPrediction:
    """The learner's expected score on a quiz they can see (another's private quiz: 404)."""
    quiz = access_quiz(user=user, quiz_id=quiz_id)
    subject = quiz.subject
    questions = list(quiz.questions.all())
    skills = {q.pk: answer_skills(q.topics, subject.name if subject else None) for q in questions}
    states = _skill_states(user, (s for listed in skills.values() for s in listed))
    items = ItemDifficulty.objects.in_bulk([q.pk for q in questions], field_name="question_id")
    learner = learner_state(_subject_ability(user, quiz.subject_id))
    now = knowledge_day(timezone.now())
    rows = [
        QuestionPrediction(
            question_id=q.pk,
            points=q.points,
            probability_correct=knowledge.predict(
                learner,
                [states[s] for s in skills[q.pk] if s in states],
                item_state(q, items.get(q.pk)),
                now,
            ),
        )
        for q in questions
    ]
    expected = sum(r.points * r.probability_correct for r in rows)
    max_score = sum(r.points for r in rows)
    return QuizPrediction(
        quiz_id=quiz.pk,
        title=quiz.title,
        expected_score=round(expected, 4),
        max_score=round(max_score, 4),
        expected_percentage=round(100 * expected / max_score, 2) if max_score else 0.0,
        pass_percentage=quiz.pass_percentage,
        pass_probability=round(_pass_probability(rows, quiz.pass_percentage, max_score), 4),
        confidence=knowledge.confidence(learner.n),
        questions=rows,
    )


def _pass_probability(
    rows: list[QuestionPrediction], pass_percentage: float, total: float
) -> float:
    if not rows or total <= 0:
        return 0.0
    threshold = total * pass_percentage / 100
    mean = sum(r.points * r.probability_correct for r in rows)
    variance = sum(r.points**2 * r.probability_correct * (1 - r.probability_correct) for r in rows)
    if variance <= 1e-12:
        return 1.0 if mean >= threshold else 0.0
    # Half the smallest point value: a continuity correction for the discrete score.
    correction = min(r.points for r in rows) / 2
    z = (threshold - correction - mean) / math.sqrt(variance)
    return 0.5 * math.erfc(z / math.sqrt(2))


@dataclass(frozen=True)
class GoalReadiness:
    goal_id: int
    title: str
    subject_id: int | None
    target_minutes: int
    logged_minutes: int
    target_date: datetime.date | None
    days_left: int | None
    pace_minutes_per_day: float
    projected_minutes: float
    time_readiness: float
    mastery: float | None
    readiness: float
    on_track: bool


def goal_readiness_list(*, user: User, today: datetime.date) -> list[GoalReadiness]:
    """Readiness of each active goal (see the module docstring). Two queries."""
    goals = list(goal_active_list(user=user))
    abilities = list(LearnerAbility.objects.filter(user=user, n__gt=0))
    return [_goal_readiness(goal, abilities, today) for goal in goals]


def mastery_of(abilities: list[LearnerAbility], subject_id: int | None) -> float | None:
    """Predicted success on a medium question: in one subject, or averaged over every subject
    weighted by answers when `subject_id` is None."""
    rows = [a for a in abilities if subject_id is None or a.subject_id == subject_id]
    answers = sum(a.n for a in rows)
    if not answers:
        return None
    return sum(a.n * knowledge.predict(a.state(), [], knowledge.new_item()) for a in rows) / answers


def _goal_readiness(
    goal: StudyGoal, abilities: list[LearnerAbility], today: datetime.date
) -> GoalReadiness:
    days_active = max(1, (today - goal.created_at.date()).days + 1)
    pace = goal.logged_minutes / days_active
    days_left = None if goal.target_date is None else max(0, (goal.target_date - today).days)
    projected = goal.logged_minutes + pace * (days_left or 0)
    time_readiness = min(1.0, projected / goal.target_minutes)
    mastery = mastery_of(abilities, goal.subject_id)
    readiness = time_readiness if mastery is None else (time_readiness + mastery) / 2
    return GoalReadiness(
        goal_id=goal.pk,
        title=goal.title,
        subject_id=goal.subject_id,
        target_minutes=goal.target_minutes,
        logged_minutes=goal.logged_minutes,
        target_date=goal.target_date,
        days_left=days_left,
        pace_minutes_per_day=round(pace, 2),
        projected_minutes=round(projected, 1),
        time_readiness=round(time_readiness, 4),
        mastery=None if mastery is None else round(mastery, 4),
        readiness=round(readiness, 4),
        on_track=projected >= goal.target_minutes,
    )
