"""AI quiz generation through the HTTP API: the request answers 202 at once with the quiz
`pending` and a Celery task generates it (`quiz.services.generation`).

With eager Celery (the embedded default) the task runs when the request commits, so the 202
already shows the quiz `ready` with its questions; with a broker the request only enqueues and
the quiz becomes ready when a worker runs the task. The offline provider writes real questions
whose answers are in the text; provider failures come from a stand-in speaking OpenAI's API.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from notifications.models import Notification
from quiz.events import QUIZ_GENERATED
from quiz.models import GenerationStatus, Question, Quiz, QuizGeneration
from quiz.tasks import generate_quiz, requeue_stale_generations
from study.models import StudySummary, Subject
from studymate_api.celery import app as celery_app
from studymate_api.core.leases import LEASE
from studymate_api.core.models import AIUsage, DomainEvent
from studymate_api.cqrs.tasks import publish_event
from subscription.models import SubscriptionPlan
from tests.conftest import signed_in_client
from tests.standins.openai_api import OpenAIStandin
from tests.study.conftest import ENGLISH_TEXT
from tests.study.factories import SubjectFactory

from .conftest import QUIZZES, quiz_url, start_url

GENERATE = "/api/quiz/quizzes/generate/"
CREDITS = "/api/subscription/credits/"
ALLOWANCE = 20
COST = 2
# What a generated quiz costs besides its questions (see the budget tests).
GENERATION_BUDGET = 31
# Text the offline provider finds nothing to ask about: its answer fails the task's schema.
UNUSABLE_TEXT = "x " * 50

# Charging: the local provider that answers here costs credits (see `local_ai_charged`).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("local_ai_charged")]


def request_body(subject: Subject, **overrides: Any) -> dict[str, Any]:
    return {
        "subject_id": subject.pk,
        "source_text": ENGLISH_TEXT,
        "num_questions": 4,
        "question_types": ["multiple_choice", "short_answer"],
        "difficulty": "easy",
        **overrides,
    }


def balance(client: APIClient) -> int:
    return int(client.get(CREDITS).json()["balance"])


def pending_quiz(user: User, subject: Subject, **fields: Any) -> Quiz:
    """A quiz as the request leaves it before its task ran."""
    quiz = Quiz.objects.create(
        owner=user, subject=subject, title="Pending", generation_status=GenerationStatus.PENDING
    )
    values = {"source_text": ENGLISH_TEXT, "num_questions": 3, **fields}
    QuizGeneration.objects.create(quiz=quiz, question_types=["multiple_choice"], **values)
    return quiz


def listed(client: APIClient, **query: Any) -> set[int]:
    return {quiz["id"] for quiz in client.get(QUIZZES, query).json()["results"]}


@pytest.fixture(autouse=True)
def _credits(settings: Any, ai_isolated: Any, db: Any) -> None:
    """Known prices and a known free allowance (the plan row would override the setting)."""
    settings.BILLING_FREE_PLAN_MONTHLY_CREDITS = ALLOWANCE
    settings.BILLING_AI_CREDIT_COSTS = {
        **settings.BILLING_AI_CREDIT_COSTS,
        "quiz_generation": COST,
    }
    SubscriptionPlan.objects.filter(code="free").delete()


@pytest.fixture
def broker() -> Iterator[Callable[[], list[tuple[str, list[Any]]]]]:
    """Celery as with a real broker (not eager), on kombu's in-memory transport: a request only
    enqueues. The returned function takes the messages sent so far: (task name, args)."""
    previous = (celery_app.conf.task_always_eager, celery_app.conf.broker_url)
    celery_app.conf.task_always_eager = False
    celery_app.conf.update(broker_url="memory://")
    _new_producers()

    def enqueued() -> list[tuple[str, list[Any]]]:
        sent = []
        with celery_app.connection_for_write() as connection:
            queue = connection.SimpleQueue(celery_app.conf.task_default_queue)
            while True:
                try:
                    message = queue.get(block=False)
                except queue.Empty:
                    break
                sent.append((message.headers["task"], message.decode()[0]))
                message.ack()
            queue.close()
        return sent

    enqueued()  # what earlier tests left in the process's in-memory broker
    yield enqueued
    enqueued()
    celery_app.conf.update(task_always_eager=previous[0], broker_url=previous[1])
    _new_producers()


def _new_producers() -> None:
    """Connections and producers for the broker URL now configured (the app keeps both once
    made, e.g. by an earlier test's outbox publication on the Redis broker)."""
    celery_app._pool = None  # type: ignore[attr-defined]
    celery_app.amqp._producer_pool = None  # type: ignore[attr-defined]


@pytest.fixture
def rejecting_openai(enable: Callable[..., None]) -> Iterator[OpenAIStandin]:
    """OpenAI's API refusing the request as invalid (HTTP 400): no retry, no fallback."""
    with OpenAIStandin() as api:
        enable("openai", api)
        api.default = api.error(400, "bad input", kind="invalid_request_error")
        yield api


# --- with eager Celery: generated before the answer ------------------------------------------


@pytest.mark.django_db(transaction=True)
class TestGeneratedBeforeTheAnswer:
    """Real commits: the task runs (eagerly) when the request commits, and the 202 already shows
    the outcome, as existing clients expect."""

    def test_a_quiz_whose_answers_come_from_the_text(
        self, auth_client: APIClient, other_client: APIClient, user: User, subject: Subject
    ) -> None:
        response = auth_client.post(GENERATE, request_body(subject), format="json")

        assert response.status_code == 202, response.content
        quiz = response.json()
        assert response["Location"].endswith(quiz_url(quiz["id"]))
        assert quiz["generation_status"] == "ready"
        assert (quiz["generation_error_code"], quiz["generation_error"]) == ("", "")
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
        assert auth_client.get(response["Location"]).json() == quiz
        # One model call, charged once; the request's row is gone with it.
        assert AIUsage.objects.filter(user=user).count() == 1
        assert balance(auth_client) == ALLOWANCE - COST
        assert not QuizGeneration.objects.exists()
        # The learner is told once, by the event the generation recorded (delivered after its
        # commit).
        event = DomainEvent.objects.get(event_type=QUIZ_GENERATED.name)
        assert event.published_at is not None
        assert QUIZ_GENERATED.payload_of(event)["questions"] == len(quiz["questions"])
        notification = Notification.objects.get(user=user, kind="quiz_ready")
        assert notification.data["quiz_id"] == quiz["id"]
        # Private to its author.
        assert other_client.get(quiz_url(quiz["id"])).status_code == 404

    def test_from_a_summary(self, auth_client: APIClient, user: User, subject: Subject) -> None:
        summary = StudySummary.objects.create(
            user=user,
            subject=subject,
            content=ENGLISH_TEXT,
            summary=ENGLISH_TEXT,
            summary_type="brief",
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
        assert quiz["generation_status"] == "ready"
        assert quiz["title"] == "From my summary"
        assert quiz["questions"]
        assert {q["question_type"] for q in quiz["questions"]} <= {"true_false", "multiple_select"}

    # Failures: the quiz says why, nothing is charged, nothing is half written.

    def test_a_provider_refusal_fails_the_quiz_uncharged(
        self, auth_client: APIClient, subject: Subject, rejecting_openai: OpenAIStandin
    ) -> None:
        body = request_body(subject, provider="openai")
        response = auth_client.post(GENERATE, body, format="json")
        assert response.status_code == 202, response.content
        _assert_failed_uncharged(auth_client, response.json(), "ai_request_rejected")
        assert len(rejecting_openai.requests) == 1

    def test_unusable_output_fails_the_quiz_uncharged(
        self, auth_client: APIClient, subject: Subject
    ) -> None:
        body = request_body(subject, source_text=UNUSABLE_TEXT)
        response = auth_client.post(GENERATE, body, format="json")
        assert response.status_code == 202, response.content
        _assert_failed_uncharged(auth_client, response.json(), "ai_output_invalid")

    def test_refused_credits_reach_the_client(
        self, auth_client: APIClient, user: User, subject: Subject, settings: Any
    ) -> None:
        settings.BILLING_FREE_PLAN_MONTHLY_CREDITS = COST - 1
        response = auth_client.post(GENERATE, request_body(subject), format="json")
        assert response.status_code == 402
        assert response.json()["error"]["code"] == "insufficient_credits"
        quiz = Quiz.objects.get(owner=user)
        assert quiz.generation_status == "failed"
        assert quiz.generation_error_code == "insufficient_credits"
        assert not Question.objects.exists()
        assert not AIUsage.objects.filter(user=user, outcome="success").exists()


def _assert_failed_uncharged(client: APIClient, quiz: dict[str, Any], code: str) -> None:
    assert quiz["generation_status"] == "failed"
    assert quiz["generation_error_code"] == code
    assert quiz["generation_error"]
    assert quiz["questions"] == []
    assert client.get(quiz_url(quiz["id"])).json() == quiz
    assert not Question.objects.filter(quiz_id=quiz["id"]).exists()
    assert not QuizGeneration.objects.exists()
    # The gateway's charge went back with the failed request.
    assert balance(client) == ALLOWANCE
    started = client.post(start_url(quiz["id"]), {}, format="json")
    assert started.status_code == 409
    assert started.json()["error"]["code"] == "conflict"
    assert not DomainEvent.objects.filter(event_type=QUIZ_GENERATED.name).exists()


def test_source_is_required(auth_client: APIClient, subject: Subject) -> None:
    response = auth_client.post(GENERATE, {"subject_id": subject.pk}, format="json")
    assert response.status_code == 400
    assert "source_text" in response.json()["error"]["fields"]
    assert not Quiz.objects.exists()


# Ordinary notes of short sentences, as a learner types them: enough to ask about.
SHORT_NOTES = (
    "광합성은 엽록체에서 일어난다. 엽록체에는 엽록소가 있다. 엽록소는 빛을 흡수한다. "
    "물은 뿌리로 들어온다."
)


@pytest.mark.parametrize(
    ("text", "headers", "message"),
    [
        (
            "광합성은 엽록체에서 일어난다.",
            {},
            "퀴즈를 만들려면 학습 자료가 50자 이상 필요합니다(지금 16자). 문장을 몇 개 더 "
            "넣어 주세요.",
        ),
        (
            "Photosynthesis makes glucose.",
            {"HTTP_ACCEPT_LANGUAGE": "en"},
            "A quiz needs at least 50 characters of study material; this has 29. Add a few "
            "more sentences.",
        ),
    ],
)
def test_too_little_source_text_is_a_400_that_says_how_much(
    auth_client: APIClient, user: User, subject: Subject, text: str, headers: Any, message: str
) -> None:
    body = request_body(subject, source_text=text)
    response = auth_client.post(GENERATE, body, format="json", **headers)

    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["fields"] == {"source_text": [message]}
    assert not Quiz.objects.exists()
    assert not AIUsage.objects.filter(user=user).exists()
    assert balance(auth_client) == ALLOWANCE


def test_a_summary_too_short_to_ask_about_is_a_400(
    auth_client: APIClient, user: User, subject: Subject
) -> None:
    summary = StudySummary.objects.create(
        user=user, subject=subject, content="DNA는 유전 정보다.", summary="", summary_type="brief"
    )
    body = {"subject_id": subject.pk, "summary_id": summary.pk, "num_questions": 3}
    response = auth_client.post(GENERATE, body, format="json")

    assert response.status_code == 400, response.content
    assert list(response.json()["error"]["fields"]) == ["summary_id"]
    assert not Quiz.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_short_notes_of_short_sentences_make_a_quiz(
    auth_client: APIClient, subject: Subject
) -> None:
    """Every sentence is under the offline generator's usual length: it asks about the short
    ones rather than failing with an unusable answer."""
    body = request_body(subject, source_text=SHORT_NOTES, num_questions=3)
    response = auth_client.post(GENERATE, body, format="json")

    assert response.status_code == 202, response.content
    quiz = response.json()
    assert quiz["generation_status"] == "ready", quiz["generation_error"]
    assert quiz["questions"]
    for question in quiz["questions"]:
        if question["question_type"] == "short_answer":
            assert question["accepted_answers"][0] in SHORT_NOTES


def test_hidden_subject_and_foreign_summary_are_not_found(
    auth_client: APIClient, other_user: User, subject: Subject
) -> None:
    hidden = SubjectFactory.create(created_by=other_user, is_public=False)
    response = auth_client.post(
        GENERATE, {"subject_id": hidden.pk, "source_text": ENGLISH_TEXT}, format="json"
    )
    assert response.status_code == 404
    response = auth_client.post(
        GENERATE, {"subject_id": subject.pk, "summary_id": 999_999}, format="json"
    )
    assert response.status_code == 404
    assert not Quiz.objects.exists()


# --- with a broker: pending, then generated by the task ---------------------------------------


def test_pending_until_the_task_runs_then_ready(
    auth_client: APIClient,
    other_client: APIClient,
    user: User,
    subject: Subject,
    broker: Callable[[], list[tuple[str, list[Any]]]],
    commit_hooks: Any,
) -> None:
    with commit_hooks():
        response = auth_client.post(GENERATE, request_body(subject), format="json")
    assert response.status_code == 202, response.content
    pending = response.json()
    quiz_id = pending["id"]
    assert response["Location"].endswith(quiz_url(quiz_id))
    assert (pending["generation_status"], pending["questions"]) == ("pending", [])
    # Enqueued after the commit, by id; nothing generated or charged yet.
    assert broker() == [("quiz.generate_quiz", [quiz_id])]
    assert not AIUsage.objects.exists()
    assert balance(auth_client) == ALLOWANCE

    # Its owner sees it, pending, and cannot start it yet.
    assert auth_client.get(quiz_url(quiz_id)).json()["generation_status"] == "pending"
    assert quiz_id in listed(auth_client)
    assert quiz_id in listed(auth_client, mine=True)
    started = auth_client.post(start_url(quiz_id), {}, format="json")
    assert started.status_code == 409
    assert started.json()["error"]["code"] == "conflict"
    assert started.json()["error"]["message"]
    # Nobody else does, not even once its owner makes it public.
    with commit_hooks():
        made_public = auth_client.patch(quiz_url(quiz_id), {"is_public": True}, format="json")
    assert made_public.status_code == 200
    assert other_client.get(quiz_url(quiz_id)).status_code == 404
    assert other_client.post(start_url(quiz_id), {}, format="json").status_code == 404
    assert quiz_id not in listed(other_client)

    # A worker runs the task, and then the delivery of the event it recorded.
    with commit_hooks():
        assert generate_quiz.apply(args=(quiz_id,)).get() == "ready"
    ready = auth_client.get(quiz_url(quiz_id)).json()
    assert ready["generation_status"] == "ready"
    assert 1 <= len(ready["questions"]) <= 4
    assert balance(auth_client) == ALLOWANCE - COST
    event = DomainEvent.objects.get(event_type=QUIZ_GENERATED.name)
    assert broker() == [("studymate_api.cqrs.publish_event", [event.pk])]
    with commit_hooks():
        publish_event.apply(args=(event.pk,))
    assert Notification.objects.filter(user=user, kind="quiz_ready").count() == 1
    # Ready and public: others see it and anyone may take it.
    assert other_client.get(quiz_url(quiz_id)).status_code == 200
    assert quiz_id in listed(other_client)
    assert auth_client.post(start_url(quiz_id), {}, format="json").status_code == 201

    # A redelivered message finds it done: no second call, no second charge.
    assert generate_quiz.apply(args=(quiz_id,)).get() == "skipped"
    assert AIUsage.objects.filter(user=user).count() == 1
    assert balance(auth_client) == ALLOWANCE - COST


# --- the task: claimed once ------------------------------------------------------------------


class TestIdempotentTask:
    def test_a_redelivered_task_calls_the_model_once(self, user: User, subject: Subject) -> None:
        quiz = pending_quiz(user, subject)
        first = generate_quiz.apply(args=(quiz.pk,)).get()
        second = generate_quiz.apply(args=(quiz.pk,)).get()
        assert (first, second) == ("ready", "skipped")
        assert AIUsage.objects.filter(user=user).count() == 1
        assert Question.objects.filter(quiz=quiz).exists()

    def test_a_live_claim_is_left_alone(self, user: User, subject: Subject) -> None:
        quiz = pending_quiz(user, subject, claimed_at=timezone.now())
        assert generate_quiz.apply(args=(quiz.pk,)).get() == "skipped"
        assert not AIUsage.objects.exists()

    def test_a_claim_past_its_lease_is_taken_over(self, user: User, subject: Subject) -> None:
        dead = timezone.now() - LEASE - datetime.timedelta(seconds=1)
        quiz = pending_quiz(user, subject, claimed_at=dead)
        assert generate_quiz.apply(args=(quiz.pk,)).get() == "ready"

    def test_a_deleted_quiz_is_skipped(
        self, auth_client: APIClient, user: User, subject: Subject, commit_hooks: Any
    ) -> None:
        quiz = pending_quiz(user, subject)
        with commit_hooks():
            assert auth_client.delete(quiz_url(quiz.pk)).status_code == 204
        assert generate_quiz.apply(args=(quiz.pk,)).get() == "skipped"
        assert not AIUsage.objects.exists()


def test_stale_pending_quizzes_are_generated_again(user: User, subject: Subject) -> None:
    old = timezone.now() - datetime.timedelta(hours=1)
    stale = pending_quiz(user, subject)
    fresh = pending_quiz(user, subject)
    held = pending_quiz(user, subject, claimed_at=timezone.now())
    QuizGeneration.objects.filter(pk__in=[stale.pk, held.pk]).update(created_at=old)
    assert requeue_stale_generations.apply().get() == 1
    statuses = dict(Quiz.objects.values_list("pk", "generation_status"))
    assert statuses == {stale.pk: "ready", fresh.pk: "pending", held.pk: "pending"}


def test_a_quiz_whose_holder_stopped_renewing_goes_back_at_once(
    user: User, subject: Subject
) -> None:
    """Requested a moment ago, far from REQUEUE_AFTER: a lease that ran out is enough."""
    silent = timezone.now() - LEASE - datetime.timedelta(seconds=1)
    lost = pending_quiz(user, subject, claimed_at=silent)
    alive = pending_quiz(user, subject, claimed_at=timezone.now())
    assert requeue_stale_generations.apply().get() == 1
    statuses = dict(Quiz.objects.values_list("pk", "generation_status"))
    assert statuses == {lost.pk: "ready", alive.pk: "pending"}


# --- what a request costs -------------------------------------------------------------------


def test_the_request_alone_stays_in_budget(
    auth_client: APIClient,
    subject: Subject,
    broker: Callable[[], list[tuple[str, list[Any]]]],
    commit_hooks: Any,
    django_assert_max_num_queries: Any,
) -> None:
    """With a broker: authentication, the subject, the quiz and its generation row (with the
    transaction's savepoint), and the quiz read back."""
    with django_assert_max_num_queries(8), commit_hooks():
        response = auth_client.post(GENERATE, request_body(subject), format="json")
    assert response.status_code == 202
    assert len(broker()) == 1


@pytest.mark.django_db(transaction=True)
def test_the_request_with_its_generation_and_reactions_stays_in_budget(
    auth_client: APIClient, user: User, subject: Subject, other_user: User
) -> None:
    """With eager Celery and real commits (BEGIN and COMMIT count): the request, the generation
    (claim, credits, AI usage, questions, event), the event's delivery (the quiz_ready
    notification) and the quiz read back: GENERATION_BUDGET, and per question its INSERT and
    its choices' (one bulk INSERT)."""
    # Another learner's quiz first, as in a running process: first-use caches (content types,
    # the notification templates) are filled, as they are after any earlier request.
    other = SubjectFactory.create(created_by=other_user, name="Warm-up")
    warm = signed_in_client(other_user).post(GENERATE, request_body(other), format="json")
    assert warm.json()["generation_status"] == "ready"

    with CaptureQueriesContext(connection) as queries:
        response = auth_client.post(GENERATE, request_body(subject), format="json")

    quiz = response.json()
    assert quiz["generation_status"] == "ready"
    assert len(queries) <= GENERATION_BUDGET + 2 * len(quiz["questions"])
    assert Notification.objects.filter(user=user, kind="quiz_ready").count() == 1
