"""Credits: the append-only ledger, idempotency, the free allowance, concurrency, and the AI
gateway's credit hook (a learner who runs out gets 402; a failed request is refunded)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone, translation

from studymate_api.ai import AITask, AIUnavailable, GenerateOptions, TextInput, generate
from studymate_api.core.errors import InsufficientCredits, ValidationFailed
from subscription.models import CreditLedger, CreditReason, SubscriptionPlan
from subscription.selectors.credits import credits_balance
from subscription.services.credits import (
    credits_adjust,
    credits_charge,
    credits_ensure_allowance,
    credits_grant,
    credits_refund,
    free_allowance_key,
)
from tests.factories import UserFactory
from tests.study.conftest import ENGLISH_TEXT
from tests.study.factories import SubjectFactory

CREDITS = "/api/subscription/credits/"
GENERATE_SUMMARY = "/api/study/generate-summary/"


@pytest.fixture
def free_credits(settings: Any) -> Any:
    """The free plan (created on first use) gives this many credits a month."""

    def _set(amount: int) -> None:
        settings.BILLING_FREE_PLAN_MONTHLY_CREDITS = amount
        SubscriptionPlan.objects.filter(code="free").delete()

    return _set


def ledger_of(user) -> list[tuple[int, str, int]]:
    rows = CreditLedger.objects.filter(user=user).order_by("id")
    return [(row.delta, row.reason, row.balance_after) for row in rows]


@pytest.mark.django_db
class TestLedger:
    def test_the_free_allowance_is_granted_once_a_month_on_first_use(self, user, free_credits):
        free_credits(5)
        credits_charge(user=user, amount=2, reason="ai_usage", idempotency_key="k1")
        credits_ensure_allowance(user=user)
        credits_charge(user=user, amount=1, reason="ai_usage", idempotency_key="k2")

        assert ledger_of(user) == [
            (5, "monthly_allowance", 5),
            (-2, "ai_usage", 3),
            (-1, "ai_usage", 2),
        ]
        grant = CreditLedger.objects.get(user=user, reason="monthly_allowance")
        assert grant.idempotency_key == free_allowance_key(user.pk, timezone.now())

    def test_a_key_charges_once(self, user, free_credits):
        free_credits(10)
        first = credits_charge(user=user, amount=3, reason="ai_usage", idempotency_key="same")
        again = credits_charge(user=user, amount=3, reason="ai_usage", idempotency_key="same")
        assert again.pk == first.pk
        assert credits_balance(user_id=user.pk) == 7

    def test_a_short_balance_raises_and_takes_nothing(self, user, free_credits):
        free_credits(2)
        with translation.override("en"), pytest.raises(InsufficientCredits) as raised:
            credits_charge(user=user, amount=3, reason="ai_usage", idempotency_key="big")
        assert raised.value.http_status == 402
        with translation.override("en"):
            assert "needs 3" in str(raised.value.message)
            assert "have 2" in str(raised.value.message)
        assert not CreditLedger.objects.filter(idempotency_key="big").exists()

    def test_grants_refunds_and_adjustments_append(self, user, other_user, free_credits):
        free_credits(0)
        credits_grant(user=user, amount=50, reason=CreditReason.TOP_UP, idempotency_key="t1")
        credits_grant(user=user, amount=50, reason=CreditReason.TOP_UP, idempotency_key="t1")
        credits_charge(user=user, amount=4, reason="ai_usage", idempotency_key="c1")
        credits_refund(user=user, charge_key="c1")
        credits_refund(user=user, charge_key="c1")
        assert credits_refund(user=user, charge_key="never-charged") is None
        credits_adjust(user=user, delta=-10, note="goodwill reversal", admin=other_user)

        assert ledger_of(user) == [
            (50, "top_up", 50),
            (-4, "ai_usage", 46),
            (4, "ai_refund", 50),
            (-10, "admin_adjustment", 40),
        ]
        adjustment = CreditLedger.objects.get(reason="admin_adjustment")
        assert (adjustment.reference, adjustment.created_by) == ("goodwill reversal", other_user)

    def test_an_adjustment_needs_a_reason_and_cannot_go_negative(self, user, other_user):
        with pytest.raises(ValidationFailed):
            credits_adjust(user=user, delta=5, note="  ", admin=other_user)
        with pytest.raises(InsufficientCredits):
            credits_adjust(user=user, delta=-10_000, note="too much", admin=other_user)


@pytest.mark.django_db
class TestCreditsApi:
    def test_balance_allowance_and_ledger(self, auth_client, user, free_credits):
        free_credits(30)
        credits_charge(user=user, amount=2, reason="ai_usage", idempotency_key="a")
        response = auth_client.get(CREDITS, {"ledger_limit": 1})
        assert response.status_code == 200
        body = response.json()
        assert (body["balance"], body["monthly_allowance"], body["plan"]) == (28, 30, "free")
        assert body["resets_at"].startswith(f"{timezone.now().year + (timezone.now().month == 12)}")
        assert [(e["delta"], e["reason"]) for e in body["ledger"]] == [(-2, "ai_usage")]

    def test_needs_sign_in(self, api_client):
        assert api_client.get(CREDITS).status_code == 401

    def test_a_bad_limit_is_a_validation_error(self, auth_client):
        response = auth_client.get(CREDITS, {"ledger_limit": "many"})
        assert response.status_code == 400
        assert "ledger_limit" in response.json()["error"]["fields"]

    def test_credits_work_without_billing_keys(self, auth_client, no_billing):
        assert auth_client.get(CREDITS).json()["balance"] > 0


@pytest.mark.django_db(transaction=True)
def test_parallel_charges_never_overdraw_and_each_key_charges_once(free_credits):
    """Twelve threads, each with its own database connection, charge 3 credits from a balance
    of 20 with six distinct keys (every key sent twice): the row lock lets exactly six charges
    through, 6 x 3 = 18, and the balance never drops below zero."""
    free_credits(20)
    user = UserFactory.create()
    credits_ensure_allowance(user=user)
    barrier = threading.Barrier(12)
    outcomes: list[str] = []

    def charge(key: str) -> None:
        barrier.wait()
        try:
            credits_charge(user=user, amount=3, reason="ai_usage", idempotency_key=key)
            outcomes.append("charged")
        except InsufficientCredits:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=charge, args=(f"key-{n % 6}",)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    charges = CreditLedger.objects.filter(user=user, reason="ai_usage")
    assert charges.count() == 6
    assert credits_balance(user_id=user.pk) == 2
    assert min(CreditLedger.objects.filter(user=user).values_list("balance_after", flat=True)) >= 0
    assert outcomes.count("charged") == 12  # repeats of a key return the first charge


@pytest.mark.django_db(transaction=True)
def test_more_charges_than_credits_from_threads_refuse_the_rest(free_credits):
    free_credits(10)
    user = UserFactory.create()
    credits_ensure_allowance(user=user)
    barrier = threading.Barrier(8)
    refused: list[int] = []

    def charge(n: int) -> None:
        barrier.wait()
        try:
            credits_charge(user=user, amount=2, reason="ai_usage", idempotency_key=f"c{n}")
        except InsufficientCredits:
            refused.append(n)
        finally:
            connection.close()

    threads = [threading.Thread(target=charge, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(refused) == 3
    assert credits_balance(user_id=user.pk) == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("local_ai_charged")
class TestTheGatewayCharges:
    def test_a_free_learner_runs_out_and_gets_402(self, ai_isolated, free_credits, settings):
        settings.BILLING_AI_CREDIT_COSTS = {**settings.BILLING_AI_CREDIT_COSTS, "summary": 1}
        free_credits(2)
        user = UserFactory.create()
        client = _signed_in(user)
        subject = SubjectFactory.create(created_by=user)
        # Three different requests: an identical one would be answered from the first, free.
        bodies = [
            {"subject_id": subject.pk, "content": ENGLISH_TEXT, "summary_type": summary_type}
            for summary_type in ("brief", "detailed", "bullet_points")
        ]

        for body in bodies[:2]:
            response = client.post(GENERATE_SUMMARY, body, format="json")
            assert response.status_code == 202
            assert response.json()["status"] == "completed"
        response = client.post(GENERATE_SUMMARY, bodies[2], format="json")

        assert response.status_code == 402
        assert response.json()["error"]["code"] == "insufficient_credits"
        assert credits_balance(user_id=user.pk) == 0
        assert sorted(r.reference for r in CreditLedger.objects.filter(reason="ai_usage")) == [
            "summary_brief",
            "summary_detailed",
        ]

    def test_a_failed_request_gives_its_credits_back(self, enable, openai_api, free_credits):
        free_credits(5)
        user = UserFactory.create()
        enable("openai", openai_api)
        openai_api.enqueue(openai_api.error(503), openai_api.error(503))

        with pytest.raises(AIUnavailable):
            generate(
                AITask.SUMMARY_BRIEF,
                TextInput(ENGLISH_TEXT),
                user=user,
                options=GenerateOptions(provider="openai", fallback=False),
            )

        assert ledger_of(user) == [
            (5, "monthly_allowance", 5),
            (-1, "ai_usage", 4),
            (1, "ai_refund", 5),
        ]

    def test_system_calls_and_free_tasks_are_not_charged(self, ai_isolated, settings):
        settings.BILLING_AI_CREDIT_COSTS = {**settings.BILLING_AI_CREDIT_COSTS, "summary": 0}
        user = UserFactory.create()
        generate(AITask.SUMMARY_BRIEF, TextInput(ENGLISH_TEXT), user=user)
        generate(AITask.SUMMARY_BRIEF, TextInput(ENGLISH_TEXT), user=None)
        assert not CreditLedger.objects.filter(reason="ai_usage").exists()

    def test_credits_can_be_switched_off(self, ai_isolated, free_credits, settings):
        from subscription.services.ai_credits import install_credit_hook

        free_credits(0)
        settings.BILLING_CREDITS_ENABLED = False
        install_credit_hook()
        user = UserFactory.create()
        generate(AITask.SUMMARY_BRIEF, TextInput(ENGLISH_TEXT), user=user)
        assert not CreditLedger.objects.filter(user=user).exists()


def _signed_in(user):
    from rest_framework.test import APIClient

    from tests.conftest import login_tokens

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {login_tokens(client, user.email)['access']}")
    return client
