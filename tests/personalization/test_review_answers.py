"""Every graded quiz answer is a review of the cards it touches (its question's card, the concept
cards of its topics): wrong is "again", right is "good", or "easy" when it came fast; through the
quiz API, with the finish's reactions in a bounded number of statements."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from personalization.models import (
    ReviewCard,
    ReviewKind,
    ReviewLog,
    ReviewRating,
    ReviewSource,
    ReviewState,
)
from personalization.services.reviews import EASY_WITHIN_SECONDS
from quiz.models import Question, QuizAttempt, UserAnswer
from study.models import Subject
from tests.quiz.conftest import QUIZZES, SUBMIT, finish_url, start_url

from .conftest import answered

pytestmark = pytest.mark.django_db
DUE = "/api/personalization/reviews/due/"
# The quiz test's finish budget (tests/quiz/test_write_budget.py), and what reviewing cards adds
# to it: the cards' locking read, the learner's settings, one UPDATE of the cards and one INSERT
# of their logs, however many cards.
FINISH_BUDGET = 30
REVIEWS_COST = 4

QUESTIONS: list[dict[str, Any]] = [
    {
        "question_type": "true_false",
        "text": "Chlorophyll reflects green light.",
        "accepted_answers": ["true"],
        "topics": ["Photosynthesis"],
    },
    {
        "question_type": "true_false",
        "text": "The Calvin cycle releases oxygen.",
        "accepted_answers": ["false"],
        "topics": ["photosynthesis", "Calvin cycle"],
    },
]


@pytest.fixture
def quiz_id(auth_client: APIClient, subject: Subject) -> int:
    body = {"title": "Light", "subject_id": subject.pk, "questions": QUESTIONS}
    response = auth_client.post(QUIZZES, body, format="json")
    assert response.status_code == 201, response.content
    return int(response.json()["id"])


@pytest.fixture
def concept_card(user: User, subject: Subject) -> ReviewCard:
    """A key concept of one of the learner's summaries in the quiz's subject."""
    return ReviewCard.objects.create(
        user=user,
        kind=ReviewKind.CONCEPT,
        subject=subject,
        concept="photosynthesis",
        concept_key="photosynthesis",
        context="Plants make sugar by photosynthesis in their leaves.",
        due=timezone.now(),
    )


def take_quiz(
    client: APIClient,
    quiz_id: int,
    *,
    right: bool,
    took: datetime.timedelta | None = None,
    finish: Callable[[Callable[[], Any]], Any] | None = None,
) -> None:
    """Answers every question (all right or all wrong) and finishes; `took`: the attempt's
    time (its start moved back), `finish` wraps the finish request."""
    attempt = client.post(start_url(quiz_id), {}, format="json").json()
    for question in attempt["questions"]:
        right_answer = question["text"].startswith("Chlorophyll")
        answer = right_answer if right else not right_answer
        body = {"attempt_id": attempt["id"], "question_id": question["id"], "answer": answer}
        assert client.post(SUBMIT, body, format="json").json()["is_correct"] is right
    if took is not None:
        QuizAttempt.objects.filter(pk=attempt["id"]).update(started_at=timezone.now() - took)

    def request() -> Any:
        return client.post(finish_url(attempt["id"]), {}, format="json")

    response = finish(request) if finish is not None else request()
    assert response.status_code == 200, response.content


def ratings(card: ReviewCard) -> list[int]:
    return list(ReviewLog.objects.filter(card=card).values_list("rating", flat=True))


def test_answers_review_the_cards_of_their_questions_and_topics(
    auth_client: APIClient,
    user: User,
    quiz_id: int,
    concept_card: ReviewCard,
    django_capture_on_commit_callbacks: Any,
    django_assert_max_num_queries: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        take_quiz(auth_client, quiz_id, right=False)
    question_cards = ReviewCard.objects.filter(user=user, kind=ReviewKind.QUESTION)
    assert question_cards.count() == 2  # new, made by the wrong answers: not reviewed yet
    assert all(card.reps == 0 for card in question_cards)
    # Both answers touch the concept: one review, "again".
    assert ratings(concept_card) == [ReviewRating.AGAIN]

    # Right and fast (the test answers in well under EASY_WITHIN_SECONDS each): easy.
    def within_budget(request: Callable[[], Any]) -> Any:
        budget = FINISH_BUDGET + REVIEWS_COST
        with (
            django_capture_on_commit_callbacks(execute=True),
            django_assert_max_num_queries(budget),
        ):
            return request()

    take_quiz(auth_client, quiz_id, right=True, finish=within_budget)
    assert ratings(concept_card) == [ReviewRating.AGAIN, ReviewRating.EASY]
    for card in question_cards:
        assert ratings(card) == [ReviewRating.EASY]
        assert card.logs.get().source == ReviewSource.QUIZ
    # Right but slowly (ten minutes for two answers): good.
    with django_capture_on_commit_callbacks(execute=True):
        take_quiz(auth_client, quiz_id, right=True, took=datetime.timedelta(minutes=10))
    assert ratings(concept_card)[-1] == ReviewRating.GOOD
    assert all(ratings(card)[-1] == ReviewRating.GOOD for card in question_cards)

    # Reviewed, none of them is due right after being answered right.
    assert auth_client.get(DUE).json()["count"] == 0
    concept_card.refresh_from_db()
    assert concept_card.reps == 3
    assert concept_card.introduced_at is not None
    assert concept_card.due > timezone.now()


def test_a_right_answer_takes_a_card_out_of_the_due_list(
    auth_client: APIClient,
    user: User,
    make_question: Callable[..., Question],
    graded_answer: Callable[[User, Question, bool], UserAnswer],
) -> None:
    """An adaptive attempt's answer (one AnswerGraded each, no time told): right is "good"."""
    question = make_question("medium")
    answered(graded_answer, user, question, False)
    card = ReviewCard.objects.get(user=user, question=question)
    ReviewCard.objects.filter(pk=card.pk).update(
        state=ReviewState.REVIEW,
        step=None,
        stability=3.0,
        difficulty=5.0,
        reps=2,
        last_review=timezone.now() - datetime.timedelta(days=4),
        due=timezone.now() - datetime.timedelta(days=1),
    )
    assert auth_client.get(DUE).json()["count"] == 1

    answered(graded_answer, user, question, True)

    card.refresh_from_db()
    assert auth_client.get(DUE).json()["count"] == 0
    assert card.due > timezone.now() + datetime.timedelta(days=1)
    assert card.stability is not None
    assert card.stability > 3.0
    assert ratings(card) == [ReviewRating.GOOD]


def test_the_easy_threshold_is_the_documented_one() -> None:
    from personalization.services.reviews import answer_rating

    assert answer_rating(correct=False, seconds=1.0) == ReviewRating.AGAIN
    assert answer_rating(correct=True, seconds=None) == ReviewRating.GOOD
    assert answer_rating(correct=True, seconds=EASY_WITHIN_SECONDS) == ReviewRating.EASY
    assert answer_rating(correct=True, seconds=EASY_WITHIN_SECONDS + 1) == ReviewRating.GOOD
    # Relative to an expected time, when one is known: within half of it.
    assert answer_rating(correct=True, seconds=25.0, expected_seconds=60.0) == ReviewRating.EASY
    assert answer_rating(correct=True, seconds=31.0, expected_seconds=60.0) == ReviewRating.GOOD
