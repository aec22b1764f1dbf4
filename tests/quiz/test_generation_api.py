"""AI quiz generation with the offline provider: real questions whose answers are in the text."""

from __future__ import annotations

import pytest

from quiz.models import Quiz
from studymate_api.core.models import AIUsage
from tests.study.conftest import ENGLISH_TEXT
from tests.study.factories import SubjectFactory

GENERATE = "/api/quiz/quizzes/generate/"

pytestmark = pytest.mark.django_db


def test_generates_a_quiz_whose_answers_come_from_the_text(
    auth_client, other_client, subject, ai_isolated
):
    body = {
        "subject_id": subject.pk,
        "source_text": ENGLISH_TEXT,
        "num_questions": 4,
        "question_types": ["multiple_choice", "short_answer"],
        "difficulty": "easy",
    }
    response = auth_client.post(GENERATE, body, format="json")
    assert response.status_code == 202, response.content
    quiz = response.json()
    assert quiz["subject"] == subject.pk
    assert quiz["is_public"] is False
    assert 1 <= len(quiz["questions"]) <= 4
    for question in quiz["questions"]:
        assert question["question_type"] in {"multiple_choice", "short_answer"}
        if question["question_type"] == "multiple_choice":
            correct = [c["text"] for c in question["choices"] if c["is_correct"]]
            assert len(correct) == 1
            assert correct[0].casefold() in ENGLISH_TEXT.casefold()
        else:
            assert question["accepted_answers"][0].casefold() in ENGLISH_TEXT.casefold()
    assert AIUsage.objects.filter(user_id=quiz["owner"]).exists()
    # Private to its author.
    assert other_client.get(f"/api/quiz/quizzes/{quiz['id']}/").status_code == 404


def test_source_is_required(auth_client, subject, ai_isolated):
    response = auth_client.post(GENERATE, {"subject_id": subject.pk}, format="json")
    assert response.status_code == 400
    assert "source_text" in response.json()["error"]["fields"]
    assert not Quiz.objects.exists()


def test_hidden_subject_and_foreign_summary_are_not_found(
    auth_client, other_user, subject, ai_isolated
):
    hidden = SubjectFactory.create(created_by=other_user, is_public=False)
    response = auth_client.post(
        GENERATE, {"subject_id": hidden.pk, "source_text": ENGLISH_TEXT}, format="json"
    )
    assert response.status_code == 404
    response = auth_client.post(
        GENERATE, {"subject_id": subject.pk, "summary_id": 999_999}, format="json"
    )
    assert response.status_code == 404


def test_generates_from_a_summary(auth_client, user, subject, ai_isolated):
    from study.models import StudySummary

    summary = StudySummary.objects.create(
        user=user, subject=subject, content=ENGLISH_TEXT, summary=ENGLISH_TEXT, summary_type="brief"
    )
    body = {
        "subject_id": subject.pk,
        "summary_id": summary.pk,
        "num_questions": 3,
        "question_types": ["true_false", "multiple_select"],
        "title": "From my summary",
    }
    response = auth_client.post(GENERATE, body, format="json")
    assert response.status_code == 202, response.content
    quiz = response.json()
    assert quiz["title"] == "From my summary"
    assert quiz["questions"]
    assert {q["question_type"] for q in quiz["questions"]} <= {"true_false", "multiple_select"}
