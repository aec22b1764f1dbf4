"""What one summary request costs, end to end: the request, its generation and its reactions
(credits, AI usage, events, the summary_ready notification, review cards) in at most 31
statements on PostgreSQL (BEGIN, COMMIT and the aggregate's advisory lock counted); and what it
leaves cached for others. The 31st is the learner's concept cards in the subject, read before
the cards are added: a concept already carded under another spelling (세포 호흡 / 세포호흡,
Chloroplasts / chloroplast) is skipped and leaves its place to the next one, which the unique
index alone cannot do.

Transactional tests: commits are real, so Celery (in process) generates the summary when the
request commits and the outbox delivers its events when the generation commits, as a worker
would; BEGIN and COMMIT are counted like any statement.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import User
from notifications.models import DeliveryAttempt, Notification
from personalization.models import ReviewCard
from study.models import StudySummary, Subject
from studymate_api.core.models import AIUsage
from subscription.models import CreditLedger
from subscription.selectors.credits import credits_balance
from tests.conftest import signed_in_client
from tests.factories import UserFactory

from .conftest import KOREAN_TEXT
from .factories import SubjectFactory

GENERATE = "/api/study/generate-summary/"
RECOMMENDATIONS = "/api/personalization/recommendations/"
SUMMARY_BUDGET = 31

# The charge is part of the budget: the local provider costs credits (`local_ai_charged`).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("local_ai_charged")]


def _request(client: APIClient, subject: Subject) -> Any:
    body = {"subject_id": subject.pk, "content": KOREAN_TEXT, "summary_type": "brief"}
    return client.post(GENERATE, body, format="json")


@pytest.fixture
def warm(db: Any) -> None:
    """Another learner's summary first, as in a running process: first-use caches (content
    types, the notification templates) are filled, as they are after any earlier request."""
    learner = UserFactory.create()
    subject = SubjectFactory.create(created_by=learner, is_public=False, name="Warm-up")
    assert _request(signed_in_client(learner), subject).status_code == 202


def test_a_summary_request_with_its_generation_and_reactions_stays_in_budget(
    warm: None,
    auth_client: APIClient,
    user: User,
    subject: Subject,
    django_assert_max_num_queries: Any,
) -> None:
    with django_assert_max_num_queries(SUMMARY_BUDGET):
        response = _request(auth_client, subject)

    assert response.status_code == 202
    # Generated when the request committed: the answer already shows it.
    assert response.json()["status"] == "completed"
    summary = StudySummary.objects.get(user=user)
    assert summary.status == "completed"
    assert summary.summary
    # One model call, accounted once.
    usage = AIUsage.objects.get(user=user)
    assert usage.outcome == "success"
    # Charged once, after this month's free allowance was granted.
    charges = CreditLedger.objects.filter(user=user, reason="ai_usage")
    assert charges.count() == 1
    cost = settings.BILLING_AI_CREDIT_COSTS["summary"]
    assert charges.get().delta == -cost
    allowance = settings.BILLING_FREE_PLAN_MONTHLY_CREDITS
    assert credits_balance(user_id=user.pk) == allowance - cost
    # The learner is told, in the app (pushed now) and by push (not configured: skipped).
    notification = Notification.objects.get(user=user, kind="summary_ready")
    assert notification.data["summary_id"] == summary.pk
    deliveries = dict(
        DeliveryAttempt.objects.filter(notification=notification).values_list("channel", "status")
    )
    assert deliveries == {"in_app": "sent", "push": "skipped"}
    # Its key concepts became review cards.
    cards = ReviewCard.objects.filter(user=user, summary=summary, kind="concept")
    assert cards.count() >= 3


def test_an_identical_request_costs_a_few_reads_and_no_charge(
    warm: None,
    auth_client: APIClient,
    user: User,
    subject: Subject,
    django_assert_max_num_queries: Any,
) -> None:
    first = _request(auth_client, subject).json()
    with django_assert_max_num_queries(3):  # the token's user, the request's read, the summary
        again = _request(auth_client, subject)
    assert again.json()["id"] == first["id"]
    assert CreditLedger.objects.filter(user=user, reason="ai_usage").count() == 1


def _recommendation_queries(client: APIClient) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(RECOMMENDATIONS).status_code == 200
    return len(queries.captured_queries)


def test_another_learners_summary_leaves_cached_recommendations_alone(
    auth_client: APIClient, user: User, other_user: User, subject: Subject
) -> None:
    other = signed_in_client(other_user)
    SubjectFactory.create(name="Chemistry", created_by=other_user)
    _recommendation_queries(other)  # computed and cached
    assert _recommendation_queries(other) == 1  # a hit: only the token's user

    # The learner's first summary in a subject: they become one of its learners.
    assert _request(auth_client, subject).json()["status"] == "completed"

    assert _recommendation_queries(other) == 1  # still the cached list


def test_a_learners_own_summary_refreshes_their_recommendations(
    auth_client: APIClient, user: User, subject: Subject
) -> None:
    _recommendation_queries(auth_client)
    assert _recommendation_queries(auth_client) == 1
    assert _request(auth_client, subject).json()["status"] == "completed"
    assert _recommendation_queries(auth_client) > 1  # computed again: they summarized a subject
