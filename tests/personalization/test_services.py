"""The knowledge update from graded answers: persisted state, idempotency, the quiz hook."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from personalization.models import (
    ItemDifficulty,
    LearnerAbility,
    LearnerSkillState,
    ProcessedAnswer,
)
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
