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
    seconds_each: float | None = None,
    finish: Callable[[Callable[[], Any]], Any] | None = None,
) -> None:
    """Answers every question (all right or all wrong) and finishes; `seconds_each`: the time
    the app measured on each question, `finish` wraps the finish request."""
    attempt = client.post(start_url(quiz_id), {}, format="json").json()
    for question in attempt["questions"]:
        right_answer = question["text"].startswith("Chlorophyll")
        answer = right_answer if right else not right_answer
        body = {"attempt_id": attempt["id"], "question_id": question["id"], "answer": answer}
        if seconds_each is not None:
            body["response_seconds"] = seconds_each
        assert client.post(SUBMIT, body, format="json").json()["is_correct"] is right

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
    # Right but slowly (five minutes on each, as the app measured): good.
    with django_capture_on_commit_callbacks(execute=True):
        take_quiz(auth_client, quiz_id, right=True, seconds_each=300)
    assert ratings(concept_card)[-1] == ReviewRating.GOOD
    assert all(ratings(card)[-1] == ReviewRating.GOOD for card in question_cards)

    # Reviewed, none of them is due right after being answered right.
    assert auth_client.get(DUE).json()["count"] == 0
    concept_card.refresh_from_db()
    assert concept_card.reps == 3
    assert concept_card.introduced_at is not None
    assert concept_card.due > timezone.now()


def test_each_answer_is_rated_by_its_own_time(
    auth_client: APIClient,
    user: User,
    quiz_id: int,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """Without the app's measure, an answer's time is the time since the attempt's previous
    answer or its start: a first answer after five minutes is "good" and a second one right
    after it "easy" (the attempt's mean, two and a half minutes, would make both "good")."""
    with django_capture_on_commit_callbacks(execute=True):
        take_quiz(auth_client, quiz_id, right=False)
    attempt = auth_client.post(start_url(quiz_id), {}, format="json").json()
    QuizAttempt.objects.filter(pk=attempt["id"]).update(
        started_at=timezone.now() - datetime.timedelta(minutes=5)
    )
    for question in attempt["questions"]:
        answer = question["text"].startswith("Chlorophyll")
        body = {"attempt_id": attempt["id"], "question_id": question["id"], "answer": answer}
        assert auth_client.post(SUBMIT, body, format="json").json()["is_correct"] is True
    slow, fast = UserAnswer.objects.filter(attempt_id=attempt["id"]).order_by("id")
    assert slow.response_seconds is not None
    assert fast.response_seconds is not None
    assert 299 < slow.response_seconds < 330
    assert fast.response_seconds < 5
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.post(finish_url(attempt["id"]), {}, format="json")
    assert response.status_code == 200
    cards = {card.question_id: card for card in ReviewCard.objects.filter(user=user)}
    assert ratings(cards[slow.question_id])[-1] == ReviewRating.GOOD
    assert ratings(cards[fast.question_id])[-1] == ReviewRating.EASY


@pytest.mark.parametrize("seconds", [-1, 86_401, "soon", None])
def test_a_bad_response_time_is_refused(
    auth_client: APIClient, quiz_id: int, seconds: object
) -> None:
    attempt = auth_client.post(start_url(quiz_id), {}, format="json").json()
    question = attempt["questions"][0]
    body = {
        "attempt_id": attempt["id"],
        "question_id": question["id"],
        "answer": True,
        "response_seconds": seconds,
    }
    response = auth_client.post(SUBMIT, body, format="json")
    assert response.status_code == 400, response.content
    assert "response_seconds" in str(response.json())
    assert not UserAnswer.objects.filter(attempt_id=attempt["id"]).exists()


def test_an_adaptive_answer_tells_its_time_to_spaced_review(
    auth_client: APIClient,
    user: User,
    quiz_id: int,
    concept_card: ReviewCard,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """One AnswerGraded per answer, with the time the app measured: fast is "easy", slow
    "good" (two attempts of one question each: half the pool)."""
    given = []
    for seconds in (4, 45):
        attempt = auth_client.post(start_url(quiz_id), {"mode": "adaptive"}, format="json").json()
        step = auth_client.get(f"/api/quiz/attempts/{attempt['id']}/next_question/").json()
        question = step["question"]
        answer = question["text"].startswith("Chlorophyll")
        body = {
            "attempt_id": attempt["id"],
            "question_id": question["id"],
            "answer": answer,
            "response_seconds": seconds,
        }
        with django_capture_on_commit_callbacks(execute=True):
            assert auth_client.post(SUBMIT, body, format="json").json()["is_correct"] is True
        given.append(ratings(concept_card)[-1])
    assert given == [ReviewRating.EASY, ReviewRating.GOOD]


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
