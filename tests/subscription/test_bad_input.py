"""Every billing endpoint answers bad input with the error envelope, never a 500, and changes
nothing: malformed JSON, wrong types, ids too large for any row, unknown plans, a promo code of
another plan, and signed webhook bodies that are not Stripe events."""

from __future__ import annotations

import json
from typing import Any

import pytest

from subscription.models import (
    CreditLedger,
    Discount,
    Payment,
    StripeCustomer,
    UserSubscription,
    WebhookEvent,
)
from subscription.services.discounts import discount_mirror_to_stripe
from tests.standins.stripe_api import sign

CHECKOUT = "/api/subscription/checkout/"
PROMO = "/api/subscription/promo/validate/"
WEBHOOK = "/api/subscription/webhook/"
HUGE = 2**64


def snapshot() -> tuple[int, ...]:
    return (
        StripeCustomer.objects.count(),
        UserSubscription.objects.count(),
        Payment.objects.count(),
        CreditLedger.objects.count(),
        WebhookEvent.objects.count(),
    )


def stripe_posts(api) -> int:
    return sum(1 for r in api.requests if r.method == "POST")


def assert_envelope(response, status: int, code: str, field: str | None = None) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    if field is not None:
        assert field in error["fields"], error


@pytest.mark.django_db
class TestCheckoutAndPromoInput:
    @pytest.mark.parametrize(
        ("path", "body", "status", "code", "field"),
        [
            (CHECKOUT, "{plan_id: 1", 400, "parse_error", None),
            (CHECKOUT, '{"plan_id": "abc"}', 400, "validation_error", "plan_id"),
            (CHECKOUT, '{"plan_id": 1.5}', 400, "validation_error", "plan_id"),
            (CHECKOUT, '{"plan_id": true}', 400, "validation_error", "plan_id"),
            (CHECKOUT, '{"plan_id": null}', 400, "validation_error", "plan_id"),
            (CHECKOUT, f'{{"plan_id": {HUGE}}}', 400, "validation_error", "plan_id"),
            (CHECKOUT, f'{{"plan_id": {10**40}}}', 400, "validation_error", "plan_id"),
            (CHECKOUT, "[1, 2]", 400, "validation_error", "non_field_errors"),
            (CHECKOUT, '"plan"', 400, "validation_error", "non_field_errors"),
            (
                CHECKOUT,
                '{"plan_id": 1, "promo_code": ["A"]}',
                400,
                "validation_error",
                "promo_code",
            ),
            (CHECKOUT, '{"plan_id": 1, "promo_code": "\\u0000"}', 400, "validation_error", None),
            (CHECKOUT, '{"plan_id": 2147483648}', 404, "not_found", None),
            (PROMO, "{", 400, "parse_error", None),
            (PROMO, f'{{"code": "X", "plan_id": {HUGE}}}', 400, "validation_error", "plan_id"),
            (PROMO, '{"code": {"a": 1}, "plan_id": 1}', 400, "validation_error", "code"),
            (PROMO, '{"code": "X", "plan_id": 9223372036854775807}', 404, "not_found", None),
        ],
    )
    def test_refused_in_the_envelope_and_nothing_changes(
        self, auth_client, synced_pro, billing, path, body, status, code, field
    ):
        before, posts = snapshot(), stripe_posts(billing)
        response = auth_client.post(path, data=body, content_type="application/json")
        assert_envelope(response, status, code, field)
        assert snapshot() == before
        assert stripe_posts(billing) == posts

    def test_a_body_that_is_not_json_is_415(self, auth_client, synced_pro, billing):
        response = auth_client.post(CHECKOUT, data="plan_id=1", content_type="text/plain")
        assert_envelope(response, 415, "unsupported_media_type")

    def test_a_promo_code_of_another_plan_is_refused_at_checkout(
        self, auth_client, synced_pro, usd_plan, billing
    ):
        discount = Discount.objects.create(code="USDONLY", percent_off=20)
        discount.plans.add(usd_plan)
        discount_mirror_to_stripe(discount=discount)
        before, posts = snapshot(), stripe_posts(billing)
        response = auth_client.post(
            CHECKOUT,
            {"plan_id": synced_pro.pk, "promo_code": "usdonly"},
            format="json",
            HTTP_ACCEPT_LANGUAGE="en",
        )
        assert_envelope(response, 400, "validation_error", "promo_code")
        assert response.json()["error"]["fields"]["promo_code"] == [
            "This code does not apply to the chosen plan."
        ]
        assert snapshot() == before
        assert stripe_posts(billing) == posts
        promo = auth_client.post(PROMO, {"code": "usdonly", "plan_id": synced_pro.pk}).json()
        assert promo["valid"] is False

    def test_an_inactive_plan_is_404(self, auth_client, synced_pro, billing):
        synced_pro.is_active = False
        synced_pro.save()
        response = auth_client.post(CHECKOUT, {"plan_id": synced_pro.pk}, format="json")
        assert_envelope(response, 404, "not_found")


@pytest.mark.django_db
class TestReadsInput:
    @pytest.mark.parametrize(
        ("path", "status", "code"),
        [
            ("/api/subscription/payments/99999999999999999999999/receipt/", 404, "not_found"),
            ("/api/subscription/payments/9223372036854775808/receipt/", 404, "not_found"),
            ("/api/subscription/payments/9223372036854775808/receipt.html", 404, "not_found"),
            ("/api/subscription/payments/?page=99999999999999999999", 404, "not_found"),
            ("/api/subscription/credits/?ledger_limit=abc", 400, "validation_error"),
            (
                "/api/subscription/credits/?ledger_limit=99999999999999999999",
                400,
                "validation_error",
            ),
            ("/api/subscription/credits/?unknown=1", 400, "validation_error"),
            ("/api/subscription/checkout/", 405, "method_not_allowed"),
        ],
    )
    def test_refused_in_the_envelope(self, auth_client, path, status, code):
        assert_envelope(auth_client.get(path), status, code)


def event(**changes: Any) -> dict[str, Any]:
    base = {
        "id": "evt_bad",
        "object": "event",
        "type": "invoice.paid",
        "created": 1_760_000_000,
        "data": {"object": {"id": "in_bad", "object": "invoice", "customer": "cus_x"}},
    }
    return base | changes


@pytest.mark.django_db
class TestWebhookBodies:
    @pytest.mark.parametrize(
        "body",
        [
            event(created=10**20),
            event(created=-1),
            event(created="1760000000"),
            event(created=True),
            event(created=None),
            event(id=None),
            event(id=""),
            event(id={"a": 1}),
            event(id=12),
            event(id="evt_" + "x" * 300),
            event(type=None),
            event(type="x" * 101),
            event(data=[]),
            event(data={}),
            event(data={"object": "in_1"}),
            event(data={"object": {"id": 5, "object": "invoice"}}),
            event(data={"object": {"id": "in_" + "x" * 300}}),
            [1, 2],
            "event",
            5,
            None,
        ],
    )
    def test_a_signed_body_that_is_not_a_stripe_event_is_400(self, api_client, billing, body):
        payload = json.dumps(body)
        response = api_client.post(
            WEBHOOK,
            data=payload,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=sign(payload, "whsec_standin_secret"),
        )
        assert_envelope(response, 400, "validation_error", "body")
        assert not WebhookEvent.objects.exists()

    def test_an_object_without_id_is_stored_and_acknowledged(self, deliver, billing):
        balance = {"object": "balance", "available": [{"amount": 0, "currency": "krw"}]}
        response = deliver(billing.event("balance.available", balance, created=1))
        assert response.status_code == 200
        assert WebhookEvent.objects.get().outcome.startswith("ignored")

    def test_an_expanded_customer_is_read_by_its_id(self, deliver, billing, user):
        StripeCustomer.objects.create(user=user, stripe_customer_id="cus_known")
        session = {
            "id": "cs_x",
            "object": "checkout.session",
            "mode": "subscription",
            "customer": {"id": "cus_known", "object": "customer"},
            "metadata": {},
            "subscription": None,
        }
        response = deliver(billing.event("checkout.session.completed", session, created=1))
        assert response.status_code == 200
        assert WebhookEvent.objects.get().outcome == "applied"
        assert StripeCustomer.objects.get(user=user).stripe_customer_id == "cus_known"
