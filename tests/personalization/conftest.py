"""Fixtures of the personalization tests: graded answers made directly, as the quiz app stores
them, so the knowledge update reads them through the same selector as in production."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import User
from quiz.models import AnswerStatus, GradedBy, Question, Quiz, QuizAttempt, UserAnswer
from study.models import Subject
from tests.study.factories import SubjectFactory


@pytest.fixture(autouse=True)
def _celery_in_process(celery_in_process: None) -> None:
    """The knowledge task runs in the test's process, also when REDIS_URL configures a broker."""


@pytest.fixture
def subject(user: User) -> Subject:
    return SubjectFactory.create(created_by=user, is_public=False, name="Algebra")


@pytest.fixture
def make_question(user: User, subject: Subject) -> Callable[..., Question]:
    quiz = Quiz.objects.create(title="Practice", subject=subject, owner=user)

    def make(difficulty: str = "medium", topics: list[str] | None = None) -> Question:
        return Question.objects.create(
            quiz=quiz,
            question_type="true_false",
            text="?",
            difficulty=difficulty,
            topics=["equations"] if topics is None else topics,
            accepted_answers=["true"],
        )

    return make


@pytest.fixture
def graded_answer() -> Callable[[User, Question, bool], UserAnswer]:
    def make(learner: User, question: Question, correct: bool) -> UserAnswer:
        attempt = QuizAttempt.objects.create(
            user=learner,
            quiz=question.quiz,
            question_order=[question.pk],
            started_at=timezone.now(),
        )
        return UserAnswer.objects.create(
            attempt=attempt,
            question=question,
            answer="true" if correct else "false",
            is_correct=correct,
            score=1.0 if correct else 0.0,
            graded_by=GradedBy.AUTO,
            graded_at=timezone.now(),
            status=AnswerStatus.GRADED,
        )

    return make


def answered(graded_answer: Callable[[User, Question, bool], UserAnswer], *args: Any) -> UserAnswer:
    from personalization.services import knowledge_update_from_answer

    answer = graded_answer(*args)
    assert knowledge_update_from_answer(answer_id=answer.pk)
    return answer
