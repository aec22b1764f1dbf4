"""Owner analytics match the answers given; nobody else sees them."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.conftest import login_tokens
from tests.factories import UserFactory

from .conftest import SUBMIT, finish_url, start_url

pytestmark = pytest.mark.django_db

TWO_QUESTIONS = [
    {"question_type": "true_false", "text": "The sun is a star.", "accepted_answers": ["true"]},
    {"question_type": "short_answer", "text": "수도는?", "accepted_answers": ["서울"]},
]


def learner() -> APIClient:
    client = APIClient()
    token = login_tokens(client, UserFactory.create().email)["access"]
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def take(client, quiz, answers: dict[str, object]) -> dict:
    attempt = client.post(start_url(quiz.pk)).json()
    for question in attempt["questions"]:
        body = {
            "attempt_id": attempt["id"],
            "question_id": question["id"],
            "answer": answers[question["question_type"]],
        }
        assert client.post(SUBMIT, body, format="json").status_code == 200
    return client.post(finish_url(attempt["id"])).json()


def test_analytics_of_two_learners(make_quiz, auth_client, other_client):
    quiz = make_quiz(questions=TWO_QUESTIONS)
    first = take(learner(), quiz, {"true_false": True, "short_answer": "서울"})
    second = take(learner(), quiz, {"true_false": True, "short_answer": "부산"})
    assert (first["percentage"], second["percentage"]) == (100, 50)
    learner().post(start_url(quiz.pk))  # started, never finished

    url = f"/api/quiz/quizzes/{quiz.pk}/analytics/"
    response = auth_client.get(url)
    assert response.status_code == 200
    body = response.json()
    assert body["attempts"] == 3
    assert body["finished_attempts"] == 2
    assert body["mean_percentage"] == 75
    assert body["median_percentage"] == 75
    assert body["pass_rate"] == 0.5
    rates = {q["text"]: q["correct_rate"] for q in body["questions"]}
    assert rates == {"The sun is a star.": 1.0, "수도는?": 0.5}
    short_answer = next(q for q in body["questions"] if q["text"] == "수도는?")
    assert body["hardest_questions"][0] == short_answer["question_id"]

    # A learner of this public quiz, and anyone else: not found.
    assert other_client.get(url).status_code == 404


def test_analytics_without_attempts(quiz, auth_client):
    body = auth_client.get(f"/api/quiz/quizzes/{quiz.pk}/analytics/").json()
    assert body["attempts"] == 0
    assert body["mean_percentage"] is None
    assert body["hardest_questions"] == []


CHOICE_QUESTION = {
    "question_type": "multiple_choice",
    "text": "2 + 2?",
    "topics": ["arithmetic"],
    "choices": [
        {"text": "3", "is_correct": False},
        {"text": "4", "is_correct": True},
        {"text": "5", "is_correct": False},
    ],
}


def test_distractor_counts_and_discrimination(make_quiz, auth_client):
    quiz = make_quiz(questions=[CHOICE_QUESTION, TWO_QUESTIONS[0]])
    choices = {
        c.text: c.pk for c in quiz.questions.get(question_type="multiple_choice").choices.all()
    }
    # The strong learner gets both right, the weak one both wrong (picking "3").
    take(learner(), quiz, {"multiple_choice": choices["4"], "true_false": True})
    take(learner(), quiz, {"multiple_choice": choices["3"], "true_false": False})
    take(learner(), quiz, {"multiple_choice": choices["3"], "true_false": True})

    body = auth_client.get(f"/api/quiz/quizzes/{quiz.pk}/analytics/").json()
    mc = next(q for q in body["questions"] if q["question_type"] == "multiple_choice")
    assert {c["text"]: c["count"] for c in mc["choices"]} == {"3": 2, "4": 1, "5": 0}
    assert mc["correct_rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert mc["discrimination"] == 1.0  # upper group right, lower group wrong
    assert body["mean_time_spent_seconds"] is not None


def test_result_summary_by_subject_and_topic(make_quiz, other_client, subject):
    quiz = make_quiz(
        questions=[
            CHOICE_QUESTION,
            {**TWO_QUESTIONS[1], "topics": ["geography"]},
        ]
    )
    choices = {
        c.text: c.pk for c in quiz.questions.get(question_type="multiple_choice").choices.all()
    }
    take(other_client, quiz, {"multiple_choice": choices["4"], "short_answer": "부산"})
    take(other_client, quiz, {"multiple_choice": choices["3"], "short_answer": "부산"})

    response = other_client.get("/api/quiz/results/summary/")
    assert response.status_code == 200
    body = response.json()
    assert body["finished_attempts"] == 2
    assert body["subjects"] == [
        {"subject": subject.pk, "name": subject.name, "answers": 4, "correct": 1, "accuracy": 0.25}
    ]
    topics = {t["topic"]: t["accuracy"] for t in body["topics"]}
    assert topics == {"arithmetic": 0.5, "geography": 0.0}
    assert body["weakest_topics"] == ["geography", "arithmetic"]
