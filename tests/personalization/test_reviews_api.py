"""Spaced review: cards from wrong answers and summaries, FSRS scheduling, ownership, validation."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

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
        state=ReviewState.REVIEW,
        step=None,
        stability=stability,
        difficulty=5.0,
        last_review=last,
        reps=3,
        introduced_at=last - datetime.timedelta(days=10),
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
    for card, retention in zip(cards, [0.8, 0.97], strict=True):
        settings = auth_client.put("/api/study/settings/", {"desired_retention": retention})
        assert settings.status_code == 200, settings.content
        assert settings.json()["desired_retention"] == retention
        dues.append(due_at(auth_client.post(rate_url(card.pk), {"rating": "good"}).json()))
    assert dues[1] < dues[0]


@pytest.mark.parametrize("retention", [0.5, 0.7, 0.79, 0.99, "high"])
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

    hidden = {"correct_answer": None, "concept": None, "explanation": None, "summary": None}
    assert during["answer"] == hidden
    assert after["answer"] == {
        "correct_answer": True,
        "concept": None,
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
    hidden = {"correct_answer": None, "concept": None, "explanation": None, "summary": None}
    assert body["answer"] == hidden


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
    # user (with the profile: the local day), settings (the new-card limit), today's new cards,
    # count, cards, choices
    with django_assert_num_queries(6):
        assert auth_client.get(DUE).json()["count"] == 3
    for _ in range(4):
        wrong_card(user, make_question, graded_answer)
    with django_assert_num_queries(6):
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
        settings: Any,
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        summary = self.generate(
            auth_client, subject, "key_concepts", django_capture_on_commit_callbacks
        )
        listed = [line for line in summary["summary"].splitlines() if line.strip()]
        cap = settings.REVIEW_MAX_CARDS_PER_SUMMARY
        cards = ReviewCard.objects.filter(user=user, kind="concept").order_by("id")
        # The most important first: the list's own order, up to the cap.
        assert list(cards.values_list("concept", flat=True)) == listed[:cap]
        body = auth_client.get(DUE).json()
        assert body["count"] == len(listed[:cap])
        first = body["results"][0]
        assert first["question"] is None
        rated = auth_client.post(rate_url(first["id"]), {"rating": "good"}).json()
        concept = rated["answer"]["concept"]
        assert concept in listed
        assert rated["answer"]["summary"] == summary["id"]
        # The front is the concept's sentence from the summarized text with the concept
        # blanked, or the bare concept when no sentence says more than it.
        if first["cloze"] is None:
            assert first["concept"] == concept
        else:
            assert first["concept"] is None
            assert "_____" in first["cloze"]["text"]
            assert concept.casefold() not in first["cloze"]["text"].casefold()
            assert concept.casefold() in rated["answer"]["explanation"].casefold()
        clozes = [row["cloze"] for row in body["results"] if row["cloze"] is not None]
        assert clozes, "the source text has sentences about its key concepts"

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


class TestSuspendAndDelete:
    def test_a_suspended_card_leaves_the_queue_and_quiz_answers_leave_it_alone(
        self,
        auth_client: APIClient,
        user: User,
        make_question: Callable[..., Question],
        graded_answer: GradedAnswer,
    ) -> None:
        question = make_question("medium")
        answered(graded_answer, user, question, False)
        card = ReviewCard.objects.get(user=user, question=question)

        suspended = auth_client.post(f"{rate_url(card.pk)}suspend/")

        assert suspended.status_code == 200, suspended.content
        assert suspended.json()["suspended"] is True
        assert auth_client.get(DUE).json()["count"] == 0
        answered(graded_answer, user, question, False)  # wrong again: no lapse, no new card
        assert ReviewCard.objects.get(user=user, question=question).reps == 0
        rated = auth_client.post(rate_url(card.pk), {"rating": "good"})
        assert rated.status_code == 409
        assert rated.json()["error"]["code"] == "conflict"
        assert auth_client.post(f"{rate_url(card.pk)}suspend/").status_code == 200  # idempotent

        unsuspended = auth_client.post(f"{rate_url(card.pk)}unsuspend/")

        assert unsuspended.status_code == 200
        assert unsuspended.json()["suspended"] is False
        assert auth_client.get(DUE).json()["count"] == 1
        assert auth_client.post(rate_url(card.pk), {"rating": "good"}).status_code == 200

    def test_a_deleted_card_is_gone_with_its_log(
        self,
        auth_client: APIClient,
        user: User,
        make_question: Callable[..., Question],
        graded_answer: GradedAnswer,
    ) -> None:
        card = wrong_card(user, make_question, graded_answer)
        assert auth_client.post(rate_url(card.pk), {"rating": "again"}).status_code == 200

        response = auth_client.delete(rate_url(card.pk))

        assert response.status_code == 204
        assert not ReviewCard.objects.filter(pk=card.pk).exists()
        assert not ReviewLog.objects.filter(card_id=card.pk).exists()
        assert auth_client.delete(rate_url(card.pk)).status_code == 404
        assert auth_client.get(DUE).json()["count"] == 0

    def test_only_the_owner_can_suspend_or_delete(
        self,
        user: User,
        other_user: User,
        make_question: Callable[..., Question],
        graded_answer: GradedAnswer,
    ) -> None:
        card = wrong_card(user, make_question, graded_answer)
        other = signed_in_client(other_user)
        for response in (
            other.post(f"{rate_url(card.pk)}suspend/"),
            other.post(f"{rate_url(card.pk)}unsuspend/"),
            other.delete(rate_url(card.pk)),
        ):
            assert response.status_code == 404
            assert response.json()["error"]["code"] == "not_found"
        card.refresh_from_db()
        assert card.suspended_at is None
        for path in (f"{rate_url(card.pk)}suspend/", f"{rate_url(card.pk)}unsuspend/"):
            assert APIClient().post(path).status_code == 401
        assert APIClient().delete(rate_url(card.pk)).status_code == 401


class TestNewCardLimit:
    def test_the_queue_introduces_at_most_the_daily_limit_of_new_cards(
        self,
        auth_client: APIClient,
        user: User,
        make_question: Callable[..., Question],
        graded_answer: GradedAnswer,
    ) -> None:
        new = [wrong_card(user, make_question, graded_answer) for _ in range(5)]
        seen = graduated_cards(2, 5.0, user, make_question, graded_answer)  # due, not new
        assert auth_client.put("/api/study/settings/", {"new_cards_per_day": 2}).status_code == 200

        due = auth_client.get(DUE).json()
        assert due["count"] == 4  # the two reviews and two new cards
        assert sum(row["is_new"] for row in due["results"]) == 2
        assert {row["id"] for row in due["results"]} >= {card.pk for card in seen}
        # Learning one of the new cards uses up one of today's two.
        first_new = next(row["id"] for row in due["results"] if row["is_new"])
        assert auth_client.post(rate_url(first_new), {"rating": "good"}).status_code == 200
        due = auth_client.get(DUE).json()
        assert sum(row["is_new"] for row in due["results"]) == 1
        assert first_new not in {row["id"] for row in due["results"]}  # due in 10 minutes

        # The next local day, two more.
        yesterday = timezone.now() - datetime.timedelta(days=1)
        ReviewCard.objects.filter(pk=first_new).update(introduced_at=yesterday)
        assert sum(row["is_new"] for row in auth_client.get(DUE).json()["results"]) == 2
        assert len(new) == 5

    def test_no_new_cards_at_a_limit_of_zero(
        self,
        auth_client: APIClient,
        user: User,
        make_question: Callable[..., Question],
        graded_answer: GradedAnswer,
    ) -> None:
        wrong_card(user, make_question, graded_answer)
        auth_client.patch("/api/study/settings/", {"new_cards_per_day": 0})
        assert auth_client.get(DUE).json()["count"] == 0

    def test_the_day_is_the_learners_own(
        self,
        auth_client: APIClient,
        user: User,
        make_question: Callable[..., Question],
        graded_answer: GradedAnswer,
    ) -> None:
        """A card introduced before the learner's local midnight counts for the day before."""
        from accounts.models import UserProfile

        UserProfile.objects.update_or_create(user=user, defaults={"timezone": "Pacific/Kiritimati"})
        card = wrong_card(user, make_question, graded_answer)
        wrong_card(user, make_question, graded_answer)
        auth_client.put("/api/study/settings/", {"new_cards_per_day": 1})
        zone = ZoneInfo("Pacific/Kiritimati")
        midnight = timezone.now().astimezone(zone).replace(hour=0, minute=0, second=0)
        ReviewCard.objects.filter(pk=card.pk).update(
            introduced_at=midnight - datetime.timedelta(minutes=1), reps=1
        )
        assert sum(row["is_new"] for row in auth_client.get(DUE).json()["results"]) == 1
        ReviewCard.objects.filter(pk=card.pk).update(
            introduced_at=midnight + datetime.timedelta(minutes=1)
        )
        assert sum(row["is_new"] for row in auth_client.get(DUE).json()["results"]) == 0


class TestCloze:
    def concept(self, user: User, subject: Subject, concept: str, context: str) -> ReviewCard:
        return ReviewCard.objects.create(
            user=user,
            kind="concept",
            subject=subject,
            concept=concept,
            concept_key=concept.casefold(),
            context=context,
            due=timezone.now(),
        )

    def test_the_front_is_the_sentence_with_the_concept_blanked(
        self, auth_client: APIClient, user: User, subject: Subject
    ) -> None:
        card = self.concept(
            user, subject, "Calvin cycle", "The calvin cycle fixes CO2; the Calvin cycle needs ATP."
        )
        front = auth_client.get(DUE).json()["results"][0]
        assert front["concept"] is None
        assert front["cloze"] == {
            "text": "The _____ fixes CO2; the _____ needs ATP.",
            "hint": "C_____ c____",
        }
        back = auth_client.post(rate_url(card.pk), {"rating": "good"}).json()
        assert back["answer"]["concept"] == "Calvin cycle"
        assert back["answer"]["explanation"] == card.context

    @pytest.mark.parametrize("context", ["", "Calvin cycle", "Calvin cycle."])
    def test_without_a_sentence_the_front_is_the_bare_concept(
        self, auth_client: APIClient, user: User, subject: Subject, context: str
    ) -> None:
        self.concept(user, subject, "Calvin cycle", context)
        front = auth_client.get(DUE).json()["results"][0]
        assert (front["concept"], front["cloze"]) == ("Calvin cycle", None)

    def test_a_korean_term_keeps_its_particle(
        self, auth_client: APIClient, user: User, subject: Subject
    ) -> None:
        self.concept(user, subject, "광합성", "식물은 광합성으로 포도당을 만든다.")
        front = auth_client.get(DUE).json()["results"][0]
        assert front["cloze"] == {"text": "식물은 _____으로 포도당을 만든다.", "hint": "광__"}
