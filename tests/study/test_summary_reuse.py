"""An identical summary request whose summary already completed is answered from it, free of
charge, with or without an Idempotency-Key (study.services.summaries.summary_request)."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.apps import apps

from study.models import StudySummary
from study.services.summaries import summary_content_hash
from studymate_api.core.models import AIUsage
from subscription.models import CreditLedger, SubscriptionPlan

from .conftest import ENGLISH_TEXT, KOREAN_TEXT

GENERATE = "/api/study/generate-summary/"
CREDITS = "/api/subscription/credits/"
ALLOWANCE = 10

# Charging: the local provider that answers here costs credits (see `local_ai_charged`).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("local_ai_charged")]


@pytest.fixture(autouse=True)
def _credits(settings: Any) -> None:
    """Summaries cost one credit out of a known free allowance; only the offline provider."""
    settings.BILLING_FREE_PLAN_MONTHLY_CREDITS = ALLOWANCE
    settings.BILLING_AI_CREDIT_COSTS = {**settings.BILLING_AI_CREDIT_COSTS, "summary": 1}
    settings.AI_PROVIDERS = {
        name: {**config, "API_KEY": ""} for name, config in settings.AI_PROVIDERS.items()
    }
    SubscriptionPlan.objects.filter(code="free").delete()


def body(subject, **overrides: Any) -> dict[str, Any]:
    return {"subject_id": subject.pk, "content": ENGLISH_TEXT, "summary_type": "brief", **overrides}


def balance(client) -> int:
    return int(client.get(CREDITS).json()["balance"])


def charges(user) -> int:
    return CreditLedger.objects.filter(user=user, reason="ai_usage").count()


def test_an_identical_request_answers_the_completed_summary_free(auth_client, user, subject):
    first = auth_client.post(GENERATE, body(subject))
    assert first.status_code == 202
    assert first.json()["status"] == "completed"

    again = auth_client.post(GENERATE, body(subject))

    assert again.status_code == 202
    assert again.json() == first.json()
    assert "Idempotent-Replayed" not in again
    assert StudySummary.objects.filter(user=user).count() == 1
    assert AIUsage.objects.filter(user=user).count() == 1
    assert charges(user) == 1
    assert balance(auth_client) == ALLOWANCE - 1


@pytest.mark.parametrize(
    ("change", "charged"),
    [
        ({"content": KOREAN_TEXT}, 2),
        ({"summary_type": "detailed"}, 2),
        # No key: another summary, but the gateway falls back to `local` with the same input,
        # the same AI request as the first, which is not charged twice.
        ({"provider": "openai"}, 1),
    ],
    ids=["text", "type", "provider"],
)
def test_any_difference_is_a_new_summary(auth_client, user, subject, change, charged):
    assert auth_client.post(GENERATE, body(subject)).status_code == 202
    response = auth_client.post(GENERATE, body(subject, **change))
    assert response.status_code == 202, response.content
    assert StudySummary.objects.filter(user=user).count() == 2
    assert charges(user) == charged


def test_another_subject_or_learner_is_a_new_summary(
    auth_client, other_client, user, other_user, subject, public_subject
):
    assert auth_client.post(GENERATE, body(public_subject)).status_code == 202
    assert auth_client.post(GENERATE, body(subject)).status_code == 202
    assert other_client.post(GENERATE, body(public_subject)).status_code == 202
    assert StudySummary.objects.filter(user=user).count() == 2
    assert StudySummary.objects.filter(user=other_user).count() == 1
    # The learner's second is the same AI request as their first (same text and type), charged
    # once; another learner's is theirs to pay.
    assert (charges(user), charges(other_user)) == (1, 1)


def test_a_failed_summary_is_not_reused(auth_client, user, subject):
    StudySummary.objects.create(
        user=user,
        subject=subject,
        content=ENGLISH_TEXT,
        content_hash=summary_content_hash(ENGLISH_TEXT),
        summary_type="brief",
        requested_provider="local",
        status="failed",
        error_code="ai_unavailable",
    )
    response = auth_client.post(GENERATE, body(subject, provider="local"))
    assert response.json()["status"] == "completed"
    assert StudySummary.objects.filter(user=user, status="completed").count() == 1
    assert charges(user) == 1


def test_the_migration_hashes_completed_summaries(user, subject):
    completed = StudySummary.objects.create(
        user=user, subject=subject, content=KOREAN_TEXT, summary_type="brief", status="completed"
    )
    pending = StudySummary.objects.create(
        user=user, subject=subject, content=KOREAN_TEXT, summary_type="brief"
    )
    migration = importlib.import_module("study.migrations.0005_studysummary_content_hash")
    migration.hash_completed_summaries(apps, None)
    completed.refresh_from_db()
    pending.refresh_from_db()
    assert completed.content_hash == summary_content_hash(KOREAN_TEXT)
    assert pending.content_hash == ""
