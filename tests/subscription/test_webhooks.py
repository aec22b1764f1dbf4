"""Stripe webhooks signed with the real scheme and verified by the real library: forged,
missing and expired signatures change nothing; replays have one effect; events arriving out of
order end in the right state; a shuffled, replayed checkout moves a learner to the paid plan
with one payment, one credit grant and a receipt."""

from __future__ import annotations

import json
import random
import time
from typing import Any

import pytest

from studymate_api.core.models import DomainEvent
from subscription.events import PAYMENT_FAILED
from subscription.models import (
    CreditLedger,
    Discount,
    DiscountRedemption,
    Payment,
    StripeCustomer,
    UserSubscription,
    WebhookEvent,
)
from tests.standins.stripe_api import StripeStandin, sign

CURRENT = "/api/subscription/current/"
CREDITS = "/api/subscription/credits/"
PAYMENTS = "/api/subscription/payments/"


def receipt_url(payment_id: int) -> str:
    return f"{PAYMENTS}{payment_id}/receipt/"


class Journey:
    """A learner who went through checkout for Pro, and the events Stripe sends about it."""

    def __init__(self, api: StripeStandin, client: Any, plan: Any, start: int) -> None:
        response = client.post("/api/subscription/checkout/", {"plan_id": plan.pk}, format="json")
        assert response.status_code == 200, response.content
        self.api = api
        self.session_id = response.json()["session_id"]
        self.customer = api.objects[self.session_id]["customer"]
        self.subscription = api.add_subscription(
            customer=self.customer,
            price_id=plan.stripe_price_id,
            metadata=api.objects[self.session_id]["metadata"] | {"plan_code": plan.code},
            period_start=start,
        )
        self.start = start
        self.invoice = api.invoice(
            self.subscription, amount=9900, currency="krw", payment_intent="pi_standin1"
        )

    def subscription_event(self, kind: str, *, at: int, **state: Any) -> dict[str, Any]:
        snapshot = self.api.snapshot(self.subscription["id"], **state)
        return self.api.event(f"customer.subscription.{kind}", snapshot, created=at)

    def checkout_completed(self, *, at: int) -> dict[str, Any]:
        session = self.api.checkout_completed(self.session_id, self.subscription)
        return self.api.event("checkout.session.completed", session, created=at)

    def invoice_paid(self, *, at: int) -> dict[str, Any]:
        return self.api.event("invoice.paid", self.invoice, created=at)

    def full_sequence(self) -> list[dict[str, Any]]:
        t = self.start
        return [
            self.checkout_completed(at=t + 1),
            self.subscription_event("created", at=t, status="incomplete"),
            self.subscription_event("updated", at=t + 2, status="active"),
            self.invoice_paid(at=t + 2),
        ]


@pytest.fixture
def journey(billing, auth_client, synced_pro) -> Journey:
    return Journey(billing, auth_client, synced_pro, start=int(time.time()) - 600)


def state(user) -> tuple[Any, ...]:
    subscriptions = list(UserSubscription.objects.filter(user=user))
    return (
        [(s.plan.code, s.status, s.cancel_at_period_end) for s in subscriptions],
        Payment.objects.filter(user=user).count(),
        list(CreditLedger.objects.filter(user=user).values_list("delta", "idempotency_key")),
        WebhookEvent.objects.count(),
    )


@pytest.mark.django_db
class TestSignatures:
    @pytest.mark.parametrize(
        "forge",
        [
            {"secret": "whsec_someone_else"},
            {"signature": ""},
            {"timestamp": int(time.time()) - 3600},
            {"signature": "t=1,v1=deadbeef"},
            {"signature": "garbage"},
        ],
        ids=["wrong-secret", "missing-header", "expired", "bad-hmac", "unparsable"],
    )
    def test_refused_with_400_and_nothing_changes(self, deliver, journey, user, forge):
        before = state(user)
        response = deliver(journey.subscription_event("created", at=journey.start), **forge)
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "validation_error"
        assert "Stripe-Signature" in response.json()["error"]["fields"]
        assert state(user) == before

    def test_a_payload_changed_after_signing_is_refused(self, api_client, journey, user):
        event = journey.invoice_paid(at=journey.start)
        header = sign(json.dumps(event), "whsec_standin_secret")
        event["data"]["object"]["amount_paid"] = 1
        response = api_client.post(
            "/api/subscription/webhook/",
            data=json.dumps(event),
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=header,
        )
        assert response.status_code == 400
        assert not Payment.objects.exists()

    def test_a_forged_upgrade_changes_nothing(self, deliver, journey, user, auth_client):
        before = state(user)
        for event in journey.full_sequence():
            assert deliver(event, secret="whsec_forged").status_code == 400
        assert state(user) == before
        assert auth_client.get(CURRENT).json()["plan"]["code"] == "free"

    def test_signed_but_not_json_is_400(self, api_client, billing):
        payload = "not json"
        response = api_client.post(
            "/api/subscription/webhook/",
            data=payload,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=sign(payload, "whsec_standin_secret"),
        )
        assert response.status_code == 400
        assert not WebhookEvent.objects.exists()


@pytest.mark.django_db
class TestIdempotency:
    def test_a_replay_ten_times_has_one_effect(self, deliver, journey, user):
        event = journey.invoice_paid(at=journey.start)
        responses = [deliver(event) for _ in range(10)]
        assert [r.status_code for r in responses] == [200] * 10
        assert [r.json()["duplicate"] for r in responses] == [False] + [True] * 9
        assert Payment.objects.filter(user=user).count() == 1
        assert CreditLedger.objects.filter(user=user).count() == 1
        assert WebhookEvent.objects.filter(stripe_event_id=event["id"]).count() == 1

    def test_invoice_paid_twice_as_two_events_pays_and_grants_once(self, deliver, journey, user):
        assert deliver(journey.invoice_paid(at=journey.start)).status_code == 200
        assert deliver(journey.invoice_paid(at=journey.start + 5)).status_code == 200
        assert Payment.objects.filter(user=user).count() == 1
        grants = CreditLedger.objects.filter(user=user, reason="monthly_allowance")
        assert [(g.delta, g.idempotency_key) for g in grants] == [
            (300, f"allowance:invoice:{journey.invoice['id']}")
        ]
        assert WebhookEvent.objects.count() == 2

    def test_a_signed_event_we_cannot_read_is_refused_and_not_stored(self, deliver, billing):
        event = billing.event("customer.subscription.updated", {"object": "x"}, created=1)
        response = deliver(event)
        assert response.status_code == 400
        assert "body" in response.json()["error"]["fields"]
        assert not WebhookEvent.objects.exists()

    def test_events_we_do_not_handle_are_stored_and_acknowledged(self, deliver, billing):
        event = billing.event("customer.created", {"id": "cus_x", "object": "customer"}, created=1)
        assert deliver(event).status_code == 200
        stored = WebhookEvent.objects.get()
        assert stored.outcome.startswith("ignored")
        assert stored.processed_at is not None


@pytest.mark.django_db
class TestOrdering:
    def test_updated_before_created_ends_active(self, deliver, journey, user):
        t = journey.start
        deliver(journey.subscription_event("updated", at=t + 10, status="active"))
        deliver(journey.subscription_event("created", at=t, status="incomplete"))
        assert state(user)[0] == [("pro", "active", False)]

    def test_a_late_update_does_not_revive_a_deleted_subscription(self, deliver, journey, user):
        t = journey.start
        deliver(journey.subscription_event("created", at=t, status="active"))
        deliver(journey.subscription_event("deleted", at=t + 20, status="canceled"))
        deliver(journey.subscription_event("updated", at=t + 10, status="active"))
        assert state(user)[0] == [("pro", "canceled", False)]

    def test_the_same_second_is_settled_by_reading_stripe(self, deliver, journey, user, billing):
        t = journey.start
        billing.set_state(journey.subscription["id"], cancel_at_period_end=True)
        deliver(journey.subscription_event("updated", at=t, status="active"))
        deliver(journey.subscription_event("updated", at=t, cancel_at_period_end=False))
        assert state(user)[0] == [("pro", "active", True)]
        reads = [r.path for r in billing.requests if r.path.startswith("/v1/subscriptions/")]
        assert reads == [f"/v1/subscriptions/{journey.subscription['id']}"]

    def test_shuffled_and_replayed_events_end_on_the_paid_plan(
        self, deliver, journey, user, auth_client
    ):
        events = journey.full_sequence()
        deliveries = [e for e in events for _ in range(3)]
        for seed in range(5):
            random.Random(seed).shuffle(deliveries)
            for event in deliveries:
                assert deliver(event).status_code == 200

        current = auth_client.get(CURRENT).json()
        assert (current["plan"]["code"], current["status"]) == ("pro", "active")
        assert current["current_period_end"] is not None
        assert Payment.objects.filter(user=user).count() == 1
        assert list(CreditLedger.objects.filter(user=user).values_list("delta", flat=True)) == [300]
        credits = auth_client.get(CREDITS).json()
        assert (credits["balance"], credits["monthly_allowance"], credits["plan"]) == (
            300,
            300,
            "pro",
        )

        payment = auth_client.get(PAYMENTS).json()["results"][0]
        receipt = auth_client.get(receipt_url(payment["id"]))
        assert receipt.status_code == 200
        assert receipt.json()["total"]["formatted"] == "₩9,900"
        assert receipt.json()["receipt_url"].startswith("https://invoice.stripe.com/")


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.django_db
def test_every_order_of_the_checkout_events_ends_the_same(seed, deliver, journey, user):
    events = journey.full_sequence()
    random.Random(seed).shuffle(events)
    for event in events:
        assert deliver(event).status_code == 200
    assert state(user)[0] == [("pro", "active", False)]
    assert Payment.objects.filter(user=user).count() == 1
    assert CreditLedger.objects.filter(user=user).count() == 1


@pytest.mark.django_db
class TestCheckoutCompleted:
    def test_links_the_customer_and_records_the_promo_redemption(
        self, deliver, journey, user, synced_pro
    ):
        discount = Discount.objects.create(
            code="WELCOME", percent_off=10, stripe_promotion_code_id="promo_x"
        )
        session = journey.api.checkout_completed(journey.session_id, journey.subscription)
        session["discounts"] = [{"coupon": None, "promotion_code": "promo_x"}]
        deliver(journey.api.event("checkout.session.completed", session, created=journey.start))
        assert StripeCustomer.objects.get(user=user).stripe_customer_id == journey.customer
        assert DiscountRedemption.objects.get().discount == discount
        assert state(user)[0] == [("pro", "active", False)]


@pytest.mark.django_db(transaction=True)
def test_a_failed_renewal_makes_it_past_due_and_tells_the_learner(deliver, journey, user):
    deliver(journey.subscription_event("created", at=journey.start, status="active"))
    failed = journey.api.invoice(journey.subscription, amount=9900, currency="krw", status="open")
    deliver(journey.api.event("invoice.payment_failed", failed, created=journey.start + 5))
    assert state(user)[0] == [("pro", "past_due", False)]
    # An "active" update older than the failure, delivered late, does not undo it.
    deliver(journey.subscription_event("updated", at=journey.start + 2, status="active"))
    assert state(user)[0] == [("pro", "past_due", False)]
    [heard] = [e.payload for e in DomainEvent.objects.filter(event_type=PAYMENT_FAILED.name)]
    assert heard["user_id"] == user.pk
    assert (heard["invoice_id"], heard["amount_due"]) == (failed["id"], 9900)
    assert heard["next_payment_attempt"] is not None


@pytest.mark.django_db
def test_a_refund_marks_the_payment(deliver, journey, user):
    deliver(journey.invoice_paid(at=journey.start))
    charge = journey.api.charge(
        payment_intent="pi_standin1", amount=9900, refunded=4000, currency="krw"
    )
    deliver(journey.api.event("charge.refunded", charge, created=journey.start + 5))
    payment = Payment.objects.get(user=user)
    assert (payment.status, payment.amount_refunded) == ("partially_refunded", 4000)
    full = journey.api.charge(
        payment_intent="pi_standin1", amount=9900, refunded=9900, currency="krw"
    )
    deliver(journey.api.event("charge.refunded", full, created=journey.start + 9))
    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded) == ("refunded", 9900)
