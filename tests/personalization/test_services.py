"""The knowledge update from graded answers: persisted state, idempotency, the quiz hook."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from personalization import knowledge
from personalization.models import (
    ItemDifficulty,
    LearnerAbility,
    LearnerSkillState,
    ProcessedAnswer,
)
from personalization.models.knowledge import knowledge_day
from personalization.services import knowledge_update_from_answer
from quiz.models import AnswerStatus, Question, UserAnswer
from study.models import Subject
from tests.factories import UserFactory

from .conftest import answered

pytestmark = pytest.mark.django_db
GradedAnswer = Callable[[User, Question, bool], UserAnswer]


def state(user: User) -> tuple[Any, ...]:
    ability = LearnerAbility.objects.get(user=user)
    skills = tuple(
        LearnerSkillState.objects.filter(user=user).values_list(
            "skill", "ability", "n_observations"
        )
    )
    items = tuple(ItemDifficulty.objects.values_list("question_id", "difficulty", "n"))
    return ability.ability, ability.n, skills, items


def test_correct_hard_answers_raise_ability(
    user: User,
    subject: Subject,
    make_question: Callable[..., Question],
    graded_answer: GradedAnswer,
) -> None:
    for _ in range(3):
        answered(graded_answer, user, make_question("hard"), True)
    ability = LearnerAbility.objects.get(user=user, subject=subject)
    assert ability.ability > 0
    assert ability.n == 3
    skill = LearnerSkillState.objects.get(user=user, skill="equations")
    assert skill.ability > 0
    assert skill.n_observations == 3


def test_wrong_easy_answers_lower_ability(
    user: User, make_question: Callable[..., Question], graded_answer: GradedAnswer
) -> None:
    for _ in range(3):
        answered(graded_answer, user, make_question("easy", topics=[]), False)
    assert LearnerAbility.objects.get(user=user).ability < 0
    # No topic tags: the subject is the skill.
    assert LearnerSkillState.objects.get(user=user, skill="Algebra").ability < 0


def test_item_difficulty_starts_from_authored_and_learns_from_learners(
    user: User, make_question: Callable[..., Question], graded_answer: GradedAnswer
) -> None:
    question = make_question("easy")
    for _ in range(12):
        answered(graded_answer, UserFactory.create(), question, False)
    item = ItemDifficulty.objects.get(question=question)
    assert item.n == 12
    assert item.difficulty > 0  # started at -1 (easy), everyone got it wrong


def test_the_same_answer_twice_changes_nothing(
    user: User, make_question: Callable[..., Question], graded_answer: GradedAnswer
) -> None:
    answer = answered(graded_answer, user, make_question(), True)
    before = state(user)
    assert knowledge_update_from_answer(answer_id=answer.pk) is False
    assert state(user) == before
    assert ProcessedAnswer.objects.filter(answer_id=answer.pk).count() == 1


def test_ungraded_or_missing_answers_are_skipped(
    user: User, make_question: Callable[..., Question], graded_answer: GradedAnswer
) -> None:
    answer = graded_answer(user, make_question(), True)
    UserAnswer.objects.filter(pk=answer.pk).update(status=AnswerStatus.GRADING, is_correct=None)
    assert knowledge_update_from_answer(answer_id=answer.pk) is False
    assert knowledge_update_from_answer(answer_id=10**9) is False
    assert not ProcessedAnswer.objects.exists()


def test_a_fixed_attempts_answers_update_knowledge_when_it_finishes(
    auth_client: APIClient,
    user: User,
    make_question: Callable[..., Question],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    """Its automatic grades are told by its QuizCompleted, all at once (`quiz.events`)."""
    question = make_question("hard")
    attempt = auth_client.post(f"/api/quiz/quizzes/{question.quiz_id}/attempts/").json()
    body = {"attempt_id": attempt["id"], "question_id": question.pk, "answer": "true"}
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.post("/api/quiz/submit-answer/", body, format="json")
    assert response.status_code in (200, 201), response.content
    answer = UserAnswer.objects.get(question=question)
    assert not ProcessedAnswer.objects.filter(answer_id=answer.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.post(f"/api/quiz/attempts/{attempt['id']}/finish/")
    assert response.status_code == 200, response.content
    assert ProcessedAnswer.objects.filter(answer_id=answer.pk).exists()
    assert LearnerAbility.objects.get(user=user).ability > 0
    assert ItemDifficulty.objects.get(question=question).n == 1


def test_the_stored_state_is_the_pure_models_after_the_same_answers(
    user: User, make_question: Callable[..., Question], graded_answer: GradedAnswer
) -> None:
    """The rows keep every number of the model: replaying the same answers through
    `personalization.knowledge` alone gives the stored learner, skill and item."""
    outcomes = [True, True, False, True, False, False, True]
    question = make_question("hard")
    learner, skill = knowledge.Learner(), knowledge.SkillState()
    item = knowledge.new_item("hard")
    for correct in outcomes:
        answer = answered(graded_answer, user, question, correct)
        knowledge.update(learner, [skill], item, correct, now=knowledge_day(answer.created_at))
    stored = LearnerAbility.objects.get(user=user)
    assert stored.state() == pytest.approx(learner)
    assert (stored.wins, stored.fails) == pytest.approx((learner.wins, learner.fails))
    assert stored.wins > 0
    assert stored.fails > 0
    assert stored.surprise != 0
    row = LearnerSkillState.objects.get(user=user, skill="equations")
    assert row.state() == pytest.approx(skill)
    assert row.last_practiced_at == answer.created_at
    assert ItemDifficulty.objects.get(question=question).state() == pytest.approx(item)


def test_a_skill_left_unpractised_fades_toward_the_prior(
    user: User, make_question: Callable[..., Question], graded_answer: GradedAnswer
) -> None:
    """The next answer on a skill finds its evidence shrunk by the days since the last one
    (half every FORGETTING_HALF_LIFE_DAYS): the same answers a half-life apart leave the skill
    nearer 0 than the same answers together."""
    for _ in range(4):
        answered(graded_answer, user, make_question("easy"), False)
    row = LearnerSkillState.objects.get(user=user, skill="equations")
    recent_ability, recent_fails = row.ability, row.fails
    assert recent_ability < 0
    assert row.last_practiced_at is not None
    months_ago = row.last_practiced_at - datetime.timedelta(
        days=knowledge.FORGETTING_HALF_LIFE_DAYS
    )
    LearnerSkillState.objects.filter(pk=row.pk).update(last_practiced_at=months_ago)
    fresh = LearnerSkillState.objects.get(pk=row.pk).state()
    now = knowledge_day(timezone.now())
    assert knowledge.retention(fresh, now) == pytest.approx(0.5, abs=0.01)
    answered(graded_answer, user, make_question("medium"), True)
    faded = LearnerSkillState.objects.get(pk=row.pk)
    # Half the evidence was forgotten before this answer: the wrong answers weigh half.
    assert faded.fails == pytest.approx(recent_fails * 0.5 * 0.5 ** (1 / 7), rel=0.02)
    assert faded.last_practiced_at is not None
    assert faded.last_practiced_at > months_ago
