"""What AI requests cost, through the API: the offline `local` provider is free by default
(BILLING_LOCAL_PROVIDER_FREE), and an identical request is charged once within the
Idempotency-Key window, whether it is a retry under the same key or the same material sent
again."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from quiz.models import Quiz
from study.models import StudySummary
from studymate_api.ai import (
    AITask,
    AIUnavailable,
    CreditRequest,
    GenerateOptions,
    TextInput,
    UsageSummary,
    generate,
)
from subscription.models import CreditLedger, SubscriptionPlan
from subscription.services.ai_credits import reserve_ai_credits
from tests.conftest import signed_in_client
from tests.factories import UserFactory
from tests.standins.openai_api import OpenAIStandin
from tests.study.conftest import ENGLISH_TEXT, KOREAN_TEXT
from tests.study.factories import SubjectFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("ai_isolated")]

CREDITS = "/api/subscription/credits/"
SUMMARY = "/api/study/generate-summary/"
QUIZ = "/api/quiz/quizzes/generate/"
# BILLING_AI_CREDIT_COSTS's defaults: a summary costs 1, a quiz 2.
SUMMARY_COST, QUIZ_COST = 1, 2


@pytest.fixture
def allowance(settings: Any) -> int:
    settings.BILLING_FREE_PLAN_MONTHLY_CREDITS = 10
    SubscriptionPlan.objects.filter(code="free").delete()
    return 10


@pytest.fixture
def learner() -> tuple[User, APIClient, int]:
    user = UserFactory.create()
    subject = SubjectFactory.create(created_by=user)
    return user, signed_in_client(user), subject.pk


def credits(client: APIClient) -> dict[str, Any]:
    response = client.get(CREDITS)
    assert response.status_code == 200, response.content
    return dict(response.json())


def ai_entries(client: APIClient) -> list[tuple[int, str]]:
    """The AI charges and refunds of the ledger, oldest first."""
    rows = [(row["delta"], row["reason"]) for row in credits(client)["ledger"]]
    return [row for row in reversed(rows) if row[1] in {"ai_usage", "ai_refund"}]


def summary(client: APIClient, subject_id: int, key: str | None = None, **body: Any) -> Any:
    headers: dict[str, Any] = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    data = {"subject_id": subject_id, "content": ENGLISH_TEXT, "summary_type": "brief", **body}
    response = client.post(SUMMARY, data, format="json", **headers)
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "completed"
    return response


def quiz(client: APIClient, subject_id: int, key: str | None = None, **body: Any) -> Any:
    headers: dict[str, Any] = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    data = {"subject_id": subject_id, "source_text": ENGLISH_TEXT, "num_questions": 3, **body}
    response = client.post(QUIZ, data, format="json", **headers)
    assert response.status_code == 202, response.content
    assert response.json()["generation_status"] == "ready", response.content
    return response


class TestTheLocalProviderIsFree:
    def test_a_learner_out_of_credits_keeps_studying(self, settings: Any, learner: Any) -> None:
        assert settings.BILLING_LOCAL_PROVIDER_FREE  # the default
        settings.BILLING_FREE_PLAN_MONTHLY_CREDITS = 0
        SubscriptionPlan.objects.filter(code="free").delete()
        user, client, subject_id = learner

        for summary_type in ("brief", "detailed", "bullet_points", "key_concepts"):
            summary(client, subject_id, summary_type=summary_type)
        summary(client, subject_id, content=KOREAN_TEXT)
        quiz(client, subject_id)
        quiz(client, subject_id, num_questions=4)

        assert credits(client)["balance"] == 0
        assert ai_entries(client) == []
        assert StudySummary.objects.filter(user=user).count() == 5
        assert Quiz.objects.filter(owner=user).count() == 2

    def test_with_the_setting_off_local_answers_are_charged(
        self, settings: Any, allowance: int, learner: Any
    ) -> None:
        settings.BILLING_LOCAL_PROVIDER_FREE = False
        _user, client, subject_id = learner

        summary(client, subject_id)
        quiz(client, subject_id)

        assert credits(client)["balance"] == allowance - SUMMARY_COST - QUIZ_COST
        assert ai_entries(client) == [(-SUMMARY_COST, "ai_usage"), (-QUIZ_COST, "ai_usage")]

    def test_a_hosted_request_that_local_answered_is_given_back(
        self, enable: Any, openai_api: OpenAIStandin, allowance: int, learner: Any
    ) -> None:
        enable("openai", openai_api)
        openai_api.default = openai_api.error(503)  # the hosted provider is down: local answers
        _user, client, subject_id = learner

        response = summary(client, subject_id, provider="openai")

        assert response.json()["provider"] == "local"
        assert credits(client)["balance"] == allowance
        assert ai_entries(client) == [(-SUMMARY_COST, "ai_usage"), (SUMMARY_COST, "ai_refund")]

    def test_a_hosted_answer_is_charged(
        self, enable: Any, openai_api: OpenAIStandin, allowance: int, learner: Any
    ) -> None:
        enable("openai", openai_api)
        openai_api.default = openai_api.completion("Light energy becomes chemical energy.")
        _user, client, subject_id = learner

        assert summary(client, subject_id, provider="openai").json()["provider"] == "openai"

        assert credits(client)["balance"] == allowance - SUMMARY_COST
        assert ai_entries(client) == [(-SUMMARY_COST, "ai_usage")]


@pytest.mark.usefixtures("local_ai_charged")
class TestAnIdenticalRequestIsChargedOnce:
    def test_a_retry_under_the_same_key_is_replayed_free(
        self, allowance: int, learner: Any
    ) -> None:
        user, client, subject_id = learner
        first = quiz(client, subject_id, key="quiz-1")

        again = quiz(client, subject_id, key="quiz-1")

        assert again["Idempotent-Replayed"] == "true"
        assert again.json()["id"] == first.json()["id"]
        assert credits(client)["balance"] == allowance - QUIZ_COST
        assert Quiz.objects.filter(owner=user).count() == 1

    def test_the_same_material_sent_again_is_a_new_quiz_charged_once(
        self, allowance: int, learner: Any
    ) -> None:
        user, client, subject_id = learner
        quiz(client, subject_id)
        quiz(client, subject_id, key="another-key")
        quiz(client, subject_id)

        assert Quiz.objects.filter(owner=user).count() == 3
        assert credits(client)["balance"] == allowance - QUIZ_COST
        assert ai_entries(client) == [(-QUIZ_COST, "ai_usage")]

    @pytest.mark.parametrize(
        "change",
        [{"num_questions": 4}, {"difficulty": "hard"}, {"source_text": ENGLISH_TEXT + " Also."}],
        ids=["count", "difficulty", "text"],
    )
    def test_a_different_request_is_charged(
        self, allowance: int, learner: Any, change: dict[str, Any]
    ) -> None:
        _user, client, subject_id = learner
        quiz(client, subject_id)
        quiz(client, subject_id, **change)

        assert credits(client)["balance"] == allowance - 2 * QUIZ_COST

    def test_another_learners_identical_request_is_theirs_to_pay(
        self, allowance: int, learner: Any
    ) -> None:
        _user, client, subject_id = learner
        other = UserFactory.create()
        other_client = signed_in_client(other)
        other_subject = SubjectFactory.create(created_by=other)

        quiz(client, subject_id)
        quiz(other_client, other_subject.pk)

        assert credits(client)["balance"] == credits(other_client)["balance"]
        assert credits(other_client)["balance"] == allowance - QUIZ_COST

    def test_after_the_window_the_same_request_is_charged_again(
        self, settings: Any, allowance: int, learner: Any
    ) -> None:
        user, client, subject_id = learner
        quiz(client, subject_id)
        window = datetime.timedelta(seconds=settings.IDEMPOTENCY_KEY_TTL_SECONDS)
        CreditLedger.objects.filter(user=user, reason="ai_usage").update(
            created_at=timezone.now() - window - datetime.timedelta(minutes=1)
        )

        quiz(client, subject_id)

        assert credits(client)["balance"] == allowance - 2 * QUIZ_COST

    def test_a_refunded_failure_does_not_make_the_retry_free(
        self, enable: Any, openai_api: OpenAIStandin, allowance: int
    ) -> None:
        user = UserFactory.create()
        enable("openai", openai_api)
        only_openai = GenerateOptions(provider="openai", fallback=False)
        openai_api.enqueue(openai_api.error(503), openai_api.error(503))
        with pytest.raises(AIUnavailable):
            generate(AITask.SUMMARY_BRIEF, TextInput(ENGLISH_TEXT), user=user, options=only_openai)
        openai_api.enqueue(openai_api.completion("Light energy becomes chemical energy."))

        generate(AITask.SUMMARY_BRIEF, TextInput(ENGLISH_TEXT), user=user, options=only_openai)

        rows = CreditLedger.objects.filter(user=user).order_by("id")
        assert [(row.delta, row.reason) for row in rows] == [
            (allowance, "monthly_allowance"),
            (-SUMMARY_COST, "ai_usage"),
            (SUMMARY_COST, "ai_refund"),
            (-SUMMARY_COST, "ai_usage"),
        ]

    def test_a_repeat_is_charged_when_the_charge_it_relied_on_is_refunded(
        self, allowance: int
    ) -> None:
        # Two identical requests at once: the second relies on the first's charge. The first
        # fails and is given back; the second succeeds, and pays when it settles.
        user = UserFactory.create()
        request = CreditRequest(
            user, AITask.SUMMARY_BRIEF, Decimal(0), ("openai", "local"), "f" * 64
        )
        first, second = reserve_ai_credits(request), reserve_ai_credits(request)
        assert first is not None
        assert second is not None
        assert CreditLedger.objects.filter(user=user, reason="ai_usage").count() == 1

        first(UsageSummary(uuid.uuid4(), AITask.SUMMARY_BRIEF, succeeded=False))
        second(UsageSummary(uuid.uuid4(), AITask.SUMMARY_BRIEF, succeeded=True, provider="openai"))

        rows = CreditLedger.objects.filter(user=user).order_by("id")
        assert [(row.delta, row.reason) for row in rows] == [
            (allowance, "monthly_allowance"),
            (-SUMMARY_COST, "ai_usage"),
            (SUMMARY_COST, "ai_refund"),
            (-SUMMARY_COST, "ai_usage"),
        ]
