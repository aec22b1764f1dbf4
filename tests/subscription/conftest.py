"""Fixtures of the billing tests: the Stripe stand-in, keys pointed at it, plans synced to it,
signed webhook deliveries, and the credit hook installed as at start-up."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from subscription.models import SubscriptionPlan
from subscription.services.ai_credits import install_credit_hook
from tests.standins.fixtures import *  # noqa: F403
from tests.standins.stripe_api import StripeStandin, sign

STRIPE_KEY = "sk_test_standin_key"
WEBHOOK_SECRET = "whsec_standin_secret"
WEBHOOK = "/api/subscription/webhook/"


@pytest.fixture(autouse=True)
def _credit_hook(settings: Any) -> None:
    """Installed as `SubscriptionConfig.ready` does, with credits on whatever the shell says."""
    settings.BILLING_CREDITS_ENABLED = True
    install_credit_hook()


@pytest.fixture(autouse=True)
def _celery_in_process(celery_in_process: None) -> None:
    """Webhook reactions and charge follow-ups are Celery tasks: they run in this process."""


@pytest.fixture
def no_billing(settings: Any) -> Any:
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = ""
    return settings


@pytest.fixture
def stripe_api() -> Iterator[StripeStandin]:
    with StripeStandin(api_key=STRIPE_KEY) as api:
        yield api


@pytest.fixture
def billing(settings: Any, stripe_api: StripeStandin) -> StripeStandin:
    """Billing configured, the real `stripe` SDK pointed at the stand-in."""
    settings.STRIPE_SECRET_KEY = STRIPE_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = stripe_api.base_url
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    settings.STRIPE_TIMEOUT = 5
    return stripe_api


@pytest.fixture
def pro_plan(db: Any) -> SubscriptionPlan:
    return SubscriptionPlan.objects.create(
        code="pro",
        name="Pro",
        price_amount=9900,
        currency="krw",
        monthly_credits=300,
        features={"priority_ai": True},
        sort_order=1,
    )


@pytest.fixture
def usd_plan(db: Any) -> SubscriptionPlan:
    return SubscriptionPlan.objects.create(
        code="pro-usd", name="Pro (USD)", price_amount=999, currency="usd", monthly_credits=300
    )


@pytest.fixture
def synced_pro(billing: StripeStandin, pro_plan: SubscriptionPlan) -> SubscriptionPlan:
    call_command("billing_sync_plans", stdout=io.StringIO())
    pro_plan.refresh_from_db()
    assert pro_plan.stripe_price_id
    return pro_plan


Deliver = Callable[..., Any]


@pytest.fixture
def deliver(api_client: APIClient) -> Deliver:
    """`deliver(event)`: POST the event to the webhook as Stripe does, signed now with the
    endpoint secret (or `secret=`, `timestamp=`, `signature=` to forge one)."""

    def _deliver(
        event: dict[str, Any],
        *,
        secret: str = WEBHOOK_SECRET,
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> Any:
        payload = json.dumps(event)
        header = signature if signature is not None else sign(payload, secret, timestamp=timestamp)
        extra: dict[str, Any] = {"HTTP_STRIPE_SIGNATURE": header} if header else {}
        return api_client.post(WEBHOOK, data=payload, content_type="application/json", **extra)

    return _deliver
