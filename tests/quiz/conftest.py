"""Fixtures of the quiz tests: clients for two users, a subject, quizzes of every type."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from quiz import services
from quiz.models import Quiz
from study.models import Subject
from tests.conftest import login_tokens
from tests.standins.fixtures import *  # noqa: F403
from tests.study.factories import SubjectFactory

QUIZZES = "/api/quiz/quizzes/"
QUESTIONS = "/api/quiz/questions/"
SUBMIT = "/api/quiz/submit-answer/"


def quiz_url(quiz_id: int) -> str:
    return f"{QUIZZES}{quiz_id}/"


def start_url(quiz_id: int) -> str:
    return f"{QUIZZES}{quiz_id}/attempts/"


def attempt_url(attempt_id: int) -> str:
    return f"/api/quiz/attempts/{attempt_id}/"


def finish_url(attempt_id: int) -> str:
    return f"/api/quiz/attempts/{attempt_id}/finish/"


# One question of each type; answers written as a quiz owner would.
QUESTION_SET: list[dict[str, Any]] = [
    {
        "question_type": "multiple_choice",
        "text": "대한민국의 수도는?",
        "points": 2,
        "explanation": "서울은 1394년부터 수도이다.",
        "topics": ["geography"],
        "choices": [
            {"text": "부산", "is_correct": False},
            {"text": "서울", "is_correct": True},
            {"text": "대구", "is_correct": False},
        ],
    },
    {
        "question_type": "multiple_select",
        "text": "Which are prime numbers?",
        "points": 4,
        "topics": ["math"],
        "choices": [
            {"text": "2", "is_correct": True},
            {"text": "3", "is_correct": True},
            {"text": "4", "is_correct": False},
            {"text": "6", "is_correct": False},
        ],
    },
    {
        "question_type": "true_false",
        "text": "The sun is a star.",
        "accepted_answers": ["true"],
        "topics": ["science"],
    },
    {
        "question_type": "short_answer",
        "text": "광합성이 일어나는 세포 소기관은?",
        "accepted_answers": ["엽록체", "chloroplast"],
        "topics": ["biology"],
    },
    {
        "question_type": "short_answer",
        "text": "What is pi to two decimals?",
        "accepted_answers": ["3.14"],
        "numeric_tolerance": 0.01,
        "topics": ["math"],
    },
]


@pytest.fixture(autouse=True)
def _celery_in_process(celery_in_process: None) -> None:
    """Essay grading runs in the test's process, also when REDIS_URL configures a broker."""


@pytest.fixture
def commit_hooks(
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> Callable[[], Any]:
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def other_client(other_user: User) -> APIClient:
    client = APIClient()
    tokens = login_tokens(client, other_user.email)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    return client


@pytest.fixture
def subject(user: User) -> Subject:
    return SubjectFactory.create(created_by=user, is_public=True, name="General")


@pytest.fixture
def make_quiz(user: User, subject: Subject) -> Callable[..., Quiz]:
    def _make(owner: User | None = None, questions: Any = None, **fields: Any) -> Quiz:
        values = {"title": "Mixed quiz", "is_public": True, "subject_id": subject.pk, **fields}
        return services.quiz_create(
            owner=owner or user,
            questions=QUESTION_SET if questions is None else questions,
            **values,
        )

    return _make


@pytest.fixture
def quiz(make_quiz: Callable[..., Quiz]) -> Quiz:
    """A public quiz of `user` (the owner), with one question of each auto-graded type."""
    return make_quiz()
