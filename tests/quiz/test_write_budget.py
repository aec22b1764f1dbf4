"""Query budgets of taking a quiz, end to end: each request through the HTTP API with its
reactions executed (the commit hooks run, Celery is eager, the outbox delivers in the test's
process), as ARCHITECTURE "What a write costs" asks: an answer at most 8 statements, a finish
at most 30. SAVEPOINTs and their releases count: in a test they stand for BEGIN and COMMIT."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from personalization.models import (
    ItemDifficulty,
    LearnerAbility,
    LearnerProfile,
    LearnerSkillState,
    ProcessedAnswer,
    ReviewCard,
    ReviewLog,
    ReviewRating,
)
from quiz.events import ANSWER_GRADED, QUIZ_COMPLETED
from quiz.models import AttemptMode, Question, Quiz, UserAnswer
from study.models import StudyLog, StudyProgress, Subject
from studymate_api.core.models import DomainEvent

from .conftest import QUIZZES, SUBMIT, finish_url, start_url

ANSWER_BUDGET = 8
FINISH_BUDGET = 30
# The request (with the answers-so-far count and the AnswerGraded append), the event's delivery
# and the learner model's claim, reads and upserts.
ADAPTIVE_ANSWER_BUDGET = 22
# Answering a question wrong again, while its card exists: the learner's settings once, then
# per card its rescheduling UPDATE and its review log INSERT; plus one read of the cards.
LAPSES_COST = 1 + 1 + 3 * 2

QUESTIONS: list[dict[str, Any]] = [
    {
        "question_type": "multiple_choice",
        "text": "광합성이 일어나는 세포 소기관은?",
        "topics": ["biology"],
        "choices": [
            {"text": "엽록체", "is_correct": True},
            {"text": "미토콘드리아", "is_correct": False},
            {"text": "리보솜", "is_correct": False},
        ],
    },
    {
        "question_type": "true_false",
        "text": "Chlorophyll reflects green light.",
        "accepted_answers": ["true"],
        "topics": ["biology", "light"],
    },
    {
        "question_type": "short_answer",
        "text": "캘빈 회로가 고정하는 기체는?",
        "accepted_answers": ["이산화탄소", "CO2"],
        "topics": ["chemistry"],
    },
]


def right_answer(question: dict[str, Any]) -> Any:
    kind = question["question_type"]
    if kind == "multiple_choice":
        return next(c["id"] for c in question["choices"] if c["text"] == "엽록체")
    return True if kind == "true_false" else "이산화탄소"


def wrong_answer(question: dict[str, Any]) -> Any:
    kind = question["question_type"]
    if kind == "multiple_choice":
        return next(c["id"] for c in question["choices"] if c["text"] != "엽록체")
    return False if kind == "true_false" else "산소"


@pytest.fixture
def quiz(auth_client: APIClient, subject: Subject) -> Quiz:
    body = {"title": "광합성", "subject_id": subject.pk, "questions": QUESTIONS}
    response = auth_client.post(QUIZZES, body, format="json")
    assert response.status_code == 201, response.content
    return Quiz.objects.get(pk=response.json()["id"])


@pytest.fixture
def reacting(
    django_assert_max_num_queries: Callable[..., Any],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> Callable[[int], Any]:
    """At most `budget` statements for the block and the reactions its commit starts."""

    class Reacting:
        def __init__(self, budget: int) -> None:
            self.budget = budget
            self._contexts: list[Any] = []

        def __enter__(self) -> None:
            self._contexts = [
                django_assert_max_num_queries(self.budget),
                django_capture_on_commit_callbacks(execute=True),
            ]
            for context in self._contexts:
                context.__enter__()

        def __exit__(self, *exc: Any) -> None:
            # The hooks run (and are counted) before the count is checked.
            for context in reversed(self._contexts):
                context.__exit__(*exc)

    return Reacting


def test_a_fixed_attempt_answer_and_finish_stay_within_their_budgets(
    auth_client: APIClient, user: User, subject: Subject, quiz: Quiz, reacting: Any
) -> None:
    attempt = auth_client.post(start_url(quiz.pk), {}, format="json").json()
    for question in attempt["questions"]:
        body = {
            "attempt_id": attempt["id"],
            "question_id": question["id"],
            "answer": right_answer(question),
        }
        with reacting(ANSWER_BUDGET):
            response = auth_client.post(SUBMIT, body, format="json")
        assert response.status_code == 200, response.content
        graded = response.json()
        assert graded["is_correct"] is True
        assert graded["score"] == 1.0
    # A fixed attempt's answers wait for the finish: no event, no delivery per answer.
    assert not DomainEvent.objects.filter(event_type=ANSWER_GRADED.name).exists()
    assert not LearnerAbility.objects.filter(user=user).exists()

    with reacting(FINISH_BUDGET):
        response = auth_client.post(finish_url(attempt["id"]), {}, format="json")
    assert response.status_code == 200, response.content
    finished = response.json()
    assert finished["finished_at"] is not None
    assert (finished["score"], finished["max_score"], finished["percentage"]) == (3.0, 3.0, 100.0)
    assert finished["passed"] is True
    assert [a["is_correct"] for a in finished["answers"]] == [True, True, True]

    # The learner model learned every answer, once, in answer order.
    answers = UserAnswer.objects.filter(attempt_id=attempt["id"])
    assert ProcessedAnswer.objects.filter(answer_id__in=answers.values("pk")).count() == 3
    ability = LearnerAbility.objects.get(user=user, subject=subject)
    assert (ability.n, ability.last) == (3, 1.0)
    assert ability.ability > 0
    skills = {s.skill: s.n_observations for s in LearnerSkillState.objects.filter(user=user)}
    assert skills == {"biology": 2, "light": 1, "chemistry": 1}
    items = ItemDifficulty.objects.filter(question__quiz=quiz)
    assert sorted(item.n for item in items) == [1, 1, 1]
    assert all(item.difficulty < 0 for item in items)  # answered right: easier than thought
    # The time is logged as study in the quiz's subject, and the profile observed the quiz.
    progress = StudyProgress.objects.get(user=user, subject=subject)
    assert (progress.sessions_count, progress.total_study_minutes) == (1, 1)
    assert StudyLog.objects.filter(user=user, subject=subject, minutes=1).count() == 1
    profile = LearnerProfile.objects.get(user=user)
    assert profile.observations == 1
    assert profile.style_totals == {"reading": 1}
    completed = DomainEvent.objects.get(event_type=QUIZ_COMPLETED.name)
    assert completed.published_at is not None
    assert [a["answer_id"] for a in completed.payload["graded_answers"]] == sorted(
        answers.values_list("pk", flat=True)
    )


def test_wrong_answers_are_learned_once_and_become_review_cards_within_the_budget(
    auth_client: APIClient, user: User, subject: Subject, quiz: Quiz, reacting: Any
) -> None:
    """Every question answered wrong: one card each, made in the finish's budget; the same
    questions wrong again in a second attempt are lapses of those cards, not new ones."""

    def attempt_all_wrong() -> dict[str, Any]:
        attempt = auth_client.post(start_url(quiz.pk), {}, format="json").json()
        for question in attempt["questions"]:
            body = {"attempt_id": attempt["id"], "question_id": question["id"]}
            body["answer"] = wrong_answer(question)
            assert auth_client.post(SUBMIT, body, format="json").json()["is_correct"] is False
        return attempt

    first = attempt_all_wrong()
    with reacting(FINISH_BUDGET):
        assert auth_client.post(finish_url(first["id"]), {}, format="json").status_code == 200
    ability = LearnerAbility.objects.get(user=user, subject=subject)
    assert (ability.n, ability.last) == (3, -1.0)
    assert ability.ability < 0
    cards = ReviewCard.objects.filter(user=user, question__quiz=quiz)
    assert cards.count() == 3
    assert sorted(cards.values_list("reps", flat=True)) == [0, 0, 0]
    assert auth_client.post(finish_url(first["id"]), {}, format="json").status_code == 409
    ability.refresh_from_db()
    assert ability.n == 3

    second = attempt_all_wrong()
    with reacting(FINISH_BUDGET + LAPSES_COST):
        assert auth_client.post(finish_url(second["id"]), {}, format="json").status_code == 200
    assert cards.count() == 3
    assert sorted(cards.values_list("reps", flat=True)) == [1, 1, 1]
    assert ReviewLog.objects.filter(card__in=cards, rating=ReviewRating.AGAIN).count() == 3


def test_an_adaptive_answer_moves_the_learner_model_before_the_next_question(
    auth_client: APIClient, user: User, subject: Subject, quiz: Quiz, reacting: Any
) -> None:
    """Per answer, through its AnswerGraded: the next question is picked with it. Over the
    fixed attempt's budget (the event's delivery and the model's rows are this answer's own
    reactions), so held to a budget of its own."""
    start = {"mode": AttemptMode.ADAPTIVE}
    attempt = auth_client.post(start_url(quiz.pk), start, format="json").json()
    next_url = f"/api/quiz/attempts/{attempt['id']}/next_question/"
    served = auth_client.get(next_url).json()["question"]
    question = Question.objects.get(pk=served["id"])
    body = {"attempt_id": attempt["id"], "question_id": question.pk}
    body["answer"] = right_answer(served)
    with reacting(ADAPTIVE_ANSWER_BUDGET):
        response = auth_client.post(SUBMIT, body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["is_correct"] is True
    ability = LearnerAbility.objects.get(user=user, subject=subject)
    assert (ability.n, ability.last) == (1, 1.0)
    assert ItemDifficulty.objects.get(question=question).n == 1
