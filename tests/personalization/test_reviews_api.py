"""Spaced review: cards from wrong answers and summaries, FSRS scheduling, ownership, validation."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from personalization.models import ReviewCard, ReviewLog, ReviewSource, ReviewState
from quiz.models import Question, Quiz, QuizAttempt, ShowAnswers, UserAnswer
from study.models import StudySummary, Subject
from tests.conftest import signed_in_client
from tests.study.conftest import ENGLISH_TEXT

from .conftest import answered

pytestmark = pytest.mark.django_db
DUE = "/api/personalization/reviews/due/"
GradedAnswer = Callable[[User, Question, bool], UserAnswer]


def rate_url(card_id: int) -> str:
    return f"/api/personalization/reviews/{card_id}/"


def due_at(body: dict[str, Any]) -> datetime.datetime:
    return datetime.datetime.fromisoformat(body["due"])


def wrong_card(
    user: User, make_question: Callable[..., Question], graded_answer: GradedAnswer
) -> ReviewCard:
    question = make_question("medium")
    answered(graded_answer, user, question, False)
    return ReviewCard.objects.get(user=user, question=question)


def graduated_cards(
    count: int,
    stability: float,
    user: User,
    make_question: Callable[..., Question],
    graded_answer: GradedAnswer,
) -> list[ReviewCard]:
    """`count` cards in the same graduated state, last reviewed ten days ago."""
    cards = [wrong_card(user, make_question, graded_answer) for _ in range(count)]
    last = timezone.now() - datetime.timedelta(days=10)
    ReviewCard.objects.filter(pk__in=[c.pk for c in cards]).update(
        state=ReviewState.REVIEW, step=None, stability=stability, difficulty=5.0, last_review=last
    )
    return cards


def test_a_wrong_answer_becomes_a_due_card_without_its_answer(
    auth_client: APIClient,
    user: User,
    make_question: Callable[..., Question],
    graded_answer: GradedAnswer,
) -> None:
    wrong = make_question("medium")
    answered(graded_answer, user, wrong, False)
    answered(graded_answer, user, make_question("medium"), True)

    response = auth_client.get(DUE)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 1  # the right answer made no card
    card = body["results"][0]
    assert card["kind"] == "question"
    assert card["question"]["id"] == wrong.pk
    assert card["question"]["text"] == wrong.text
    assert card["subject"]["name"] == "Algebra"
    assert card["state"] == "learning"
    assert card["answer"] is None
    assert "correct" not in str(card["question"])


def test_again_brings_a_card_back_sooner_than_easy(
    auth_client: APIClient,
    user: User,
    make_question: Callable[..., Question],
    graded_answer: GradedAnswer,
) -> None:
    first = wrong_card(user, make_question, graded_answer)
    second = wrong_card(user, make_question, graded_answer)
    before = timezone.now()

    again = auth_client.post(rate_url(first.pk), {"rating": "again"})
    easy = auth_client.post(rate_url(second.pk), {"rating": "easy"})

    assert again.status_code == easy.status_code == 200, (again.content, easy.content)
    assert before < due_at(again.json()) < before + datetime.timedelta(hours=1)
    assert due_at(easy.json()) > before + datetime.timedelta(days=1)
    assert easy.json()["state"] == "review"
    assert again.json()["reps"] == easy.json()["reps"] == 1
    # Neither is due any more.
    assert auth_client.get(DUE).json()["count"] == 0
    log = ReviewLog.objects.get(card=first)
    assert (log.rating, log.source, log.desired_retention) == (1, ReviewSource.REVIEW, 0.9)


def test_ratings_order_the_next_interval(
    auth_client: APIClient,
    user: User,
    make_question: Callable[..., Question],
    graded_answer: GradedAnswer,
) -> None:
    """From the same graduated state, again < hard < good < easy."""
    cards = graduated_cards(4, 10.0, user, make_question, graded_answer)
    dues = [
        due_at(auth_client.post(rate_url(card.pk), {"rating": rating}).json())
        for card, rating in zip(cards, ["again", "hard", "good", "easy"], strict=True)
    ]
    assert dues == sorted(dues)
    assert len(set(dues)) == 4
    assert ReviewCard.objects.get(pk=cards[0].pk).lapses == 1


def test_higher_desired_retention_schedules_sooner(
    auth_client: APIClient,
    user: User,
    make_question: Callable[..., Question],
    graded_answer: GradedAnswer,
) -> None:
    cards = graduated_cards(2, 20.0, user, make_question, graded_answer)
    dues = []
    for card, retention in zip(cards, [0.75, 0.97], strict=True):
        settings = auth_client.put("/api/study/settings/", {"desired_retention": retention})
        assert settings.status_code == 200, settings.content
        assert settings.json()["desired_retention"] == retention
        dues.append(due_at(auth_client.post(rate_url(card.pk), {"rating": "good"}).json()))
    assert dues[1] < dues[0]


@pytest.mark.parametrize("retention", [0.5, 0.99, "high"])
def test_desired_retention_is_validated(auth_client: APIClient, retention: object) -> None:
    response = auth_client.put("/api/study/settings/", {"desired_retention": retention})
    assert response.status_code == 400
    assert "desired_retention" in response.json()["error"]["fields"]


def test_the_answer_shows_after_rating_once_the_attempt_is_finished(
    auth_client: APIClient,
    user: User,
    make_question: Callable[..., Question],
    graded_answer: GradedAnswer,
) -> None:
    card = wrong_card(user, make_question, graded_answer)
    Question.objects.filter(answers__attempt__user=user).update(explanation="Because it is.")

    during = auth_client.post(rate_url(card.pk), {"rating": "again"}).json()
    QuizAttempt.objects.filter(user=user).update(finished_at=timezone.now())
    after = auth_client.post(rate_url(card.pk), {"rating": "good"}).json()

    assert during["answer"] == {"correct_answer": None, "explanation": None, "summary": None}
    assert after["answer"] == {
        "correct_answer": True,
        "explanation": "Because it is.",
        "summary": None,
    }


def test_a_quiz_that_never_shows_answers_keeps_them_hidden(
    auth_client: APIClient,
    user: User,
    make_question: Callable[..., Question],
    graded_answer: GradedAnswer,
) -> None:
    card = wrong_card(user, make_question, graded_answer)
    Quiz.objects.filter(questions=card.question_id).update(show_answers=ShowAnswers.NEVER)
    QuizAttempt.objects.filter(user=user).update(finished_at=timezone.now())
    body = auth_client.post(rate_url(card.pk), {"rating": "good"}).json()
    assert body["answer"] == {"correct_answer": None, "explanation": None, "summary": None}


def test_another_learners_card_is_not_found(
    user: User,
    other_user: User,
    make_question: Callable[..., Question],
    graded_answer: GradedAnswer,
) -> None:
    card = wrong_card(user, make_question, graded_answer)
    other = signed_in_client(other_user)

    response = other.post(rate_url(card.pk), {"rating": "easy"})

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert other.get(DUE).json()["count"] == 0
    assert signed_in_client(user).post(rate_url(10**9), {"rating": "easy"}).status_code == 404
    assert ReviewCard.objects.get(pk=card.pk).reps == 0


def test_a_question_no_longer_visible_is_not_reviewable(
    user: User,
    other_user: User,
    subject: Subject,
    make_question: Callable[..., Question],
    graded_answer: GradedAnswer,
) -> None:
    """The owner made the quiz private after another learner got it wrong."""
    question = make_question("medium")
    question.quiz.is_public = True
    question.quiz.save(update_fields=["is_public"])
    answered(graded_answer, other_user, question, False)
    other = signed_in_client(other_user)
    assert other.get(DUE).json()["count"] == 1
    question.quiz.is_public = False
    question.quiz.save(update_fields=["is_public"])
    assert other.get(DUE).json()["count"] == 0
    card = ReviewCard.objects.get(user=other_user)
    assert other.post(rate_url(card.pk), {"rating": "good"}).status_code == 404


@pytest.mark.parametrize(
    "body", [{}, {"rating": "meh"}, {"rating": 3}, {"rating": "good", "due": "2020-01-01"}]
)
def test_a_bad_rating_is_a_validation_error_and_changes_nothing(
    auth_client: APIClient,
    user: User,
    make_question: Callable[..., Question],
    graded_answer: GradedAnswer,
    body: dict[str, Any],
) -> None:
    card = wrong_card(user, make_question, graded_answer)
    response = auth_client.post(rate_url(card.pk), body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert set(error["fields"]) <= {"rating", "due"}
    assert ReviewCard.objects.get(pk=card.pk).reps == 0


def test_answering_wrong_again_is_a_lapse_of_the_same_card(
    user: User, make_question: Callable[..., Question], graded_answer: GradedAnswer
) -> None:
    question = make_question("medium")
    answered(graded_answer, user, question, False)
    answered(graded_answer, user, question, False)
    card = ReviewCard.objects.get(user=user, question=question)
    assert card.reps == 1
    assert list(card.logs.values_list("source", flat=True)) == [ReviewSource.QUIZ]


def test_the_due_list_is_paginated_in_a_fixed_number_of_queries(
    auth_client: APIClient,
    user: User,
    make_question: Callable[..., Question],
    graded_answer: GradedAnswer,
    django_assert_num_queries: Any,
) -> None:
    for _ in range(3):
        wrong_card(user, make_question, graded_answer)
    with django_assert_num_queries(4):  # user, count, cards, choices
        assert auth_client.get(DUE).json()["count"] == 3
    for _ in range(4):
        wrong_card(user, make_question, graded_answer)
    with django_assert_num_queries(4):
        page = auth_client.get(DUE, {"page_size": 5}).json()
    assert page["count"] == 7
    assert len(page["results"]) == 5
    assert page["next"] is not None
    dues = [r["due"] for r in page["results"]]
    assert dues == sorted(dues)


def test_requires_authentication(api_client: APIClient) -> None:
    assert api_client.get(DUE).status_code == 401
    assert api_client.post(rate_url(1), {"rating": "good"}).status_code == 401


class TestConceptCards:
    """A completed summary's key concepts become cards through the SummaryCompleted event."""

    def generate(
        self, client: APIClient, subject: Subject, summary_type: str, capture: Any
    ) -> dict[str, Any]:
        body = {"subject_id": subject.pk, "content": ENGLISH_TEXT, "summary_type": summary_type}
        with capture(execute=True):
            response = client.post("/api/study/generate-summary/", body)
        assert response.status_code == 202, response.content
        summary = StudySummary.objects.get(pk=response.json()["id"])
        assert summary.status == "completed"
        return {"id": summary.pk, "summary": summary.summary}

    def test_a_key_concepts_summary_gives_one_card_per_listed_concept(
        self,
        auth_client: APIClient,
        user: User,
        subject: Subject,
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        summary = self.generate(
            auth_client, subject, "key_concepts", django_capture_on_commit_callbacks
        )
        listed = [line for line in summary["summary"].splitlines() if line.strip()]
        cards = ReviewCard.objects.filter(user=user, kind="concept")
        assert sorted(cards.values_list("concept", flat=True)) == sorted(listed[:10])
        body = auth_client.get(DUE).json()
        assert body["count"] == len(listed[:10])
        first = body["results"][0]
        assert first["concept"] in listed
        assert first["question"] is None
        rated = auth_client.post(rate_url(first["id"]), {"rating": "good"}).json()
        assert rated["answer"]["summary"] == summary["id"]
        assert first["concept"].casefold() in rated["answer"]["explanation"].casefold()

    def test_other_summaries_give_cards_from_the_one_ai_call_they_made(
        self,
        auth_client: APIClient,
        user: User,
        subject: Subject,
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        from personalization.services import review_cards_from_summary
        from studymate_api.core.models import AIUsage

        summary = self.generate(auth_client, subject, "brief", django_capture_on_commit_callbacks)
        # The summary's own call is the only one: its concepts come from the text it produced.
        assert list(AIUsage.objects.values_list("task", flat=True)) == ["summary_brief"]
        cards = ReviewCard.objects.filter(user=user, kind="concept")
        count = cards.count()
        assert count >= 2
        assert ReviewCard.objects.filter(summary_id=summary["id"]).count() == count
        for concept in cards.values_list("concept", flat=True):
            assert concept.casefold() in summary["summary"].casefold()
        # A redelivered event finds its cards.
        assert review_cards_from_summary(summary_id=summary["id"]) == 0
        assert ReviewCard.objects.filter(user=user, kind="concept").count() == count
        assert AIUsage.objects.count() == 1
