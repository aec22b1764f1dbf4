"""GET /api/personalization/adaptive_difficulty/."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from quiz.models import Question, UserAnswer
from study.models import Subject
from tests.conftest import signed_in_client
from tests.study.factories import SubjectFactory

from .conftest import answered

pytestmark = pytest.mark.django_db
URL = "/api/personalization/adaptive_difficulty/"
GradedAnswer = Callable[[User, Question, bool], UserAnswer]


def test_new_learner_gets_a_recommendation(auth_client: APIClient, subject: Subject) -> None:
    response = auth_client.get(URL, {"subject_id": subject.pk})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["subject"] == {"id": subject.pk, "name": "Algebra"}
    assert body["recommended_difficulty"] in ("easy", "medium", "hard")
    assert body["confidence"] == 0
    assert body["target_success_rate"] == {"min": 0.7, "max": 0.85}
    assert 0.7 <= body["predicted_success_rate"] <= 0.85


def test_strong_learner_gets_harder_questions_than_weak_learner(
    user: User,
    other_user: User,
    subject: Subject,
    make_question: Callable[..., Question],
    graded_answer: GradedAnswer,
) -> None:
    subject.is_public = True
    subject.save(update_fields=["is_public"])
    for _ in range(8):
        answered(graded_answer, user, make_question("hard"), True)
        answered(graded_answer, other_user, make_question("easy"), False)
    strong = signed_in_client(user).get(URL, {"subject_id": subject.pk}).json()
    weak = signed_in_client(other_user).get(URL, {"subject_id": subject.pk}).json()
    assert strong["recommended_difficulty"] == "hard"
    assert weak["recommended_difficulty"] == "easy"
    assert strong["ability"] > weak["ability"]
    assert strong["confidence"] > 0


def test_another_users_private_subject_is_not_found(
    auth_client: APIClient, other_user: User
) -> None:
    private = SubjectFactory.create(created_by=other_user, is_public=False)
    response = auth_client.get(URL, {"subject_id": private.pk})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("query", [{}, {"subject_id": "abc"}, {"subject_id": "0"}])
def test_missing_or_invalid_subject_id_is_a_validation_error(
    auth_client: APIClient, query: dict[str, str]
) -> None:
    response = auth_client.get(URL, query)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert "subject_id" in error["fields"]


def test_requires_authentication(api_client: APIClient, subject: Subject) -> None:
    assert api_client.get(URL, {"subject_id": subject.pk}).status_code == 401
