"""Plans, checkout, the current subscription, cancel/resume, the portal and promo codes, over
HTTP with the real `stripe` SDK talking to the stand-in."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from subscription.models import (
    Discount,
    DiscountRedemption,
    StripeCustomer,
    SubscriptionPlan,
    UserSubscription,
)
from tests.standins.stripe_api import decode_form

PLANS = "/api/subscription/plans/"
CHECKOUT = "/api/subscription/checkout/"
CURRENT = "/api/subscription/current/"
CANCEL = "/api/subscription/cancel/"
RESUME = "/api/subscription/resume/"
PORTAL = "/api/subscription/portal/"
PROMO = "/api/subscription/promo/validate/"


def stripe_calls(api, method: str, path: str):
    return [r for r in api.requests if r.method == method and r.path.split("?")[0] == path]


@pytest.mark.django_db
class TestPlans:
    def test_public_list_with_the_free_plan_and_formatted_prices(
        self, api_client, pro_plan, usd_plan
    ):
        SubscriptionPlan.objects.create(code="old", name="Old", price_amount=1, is_active=False)
        response = api_client.get(PLANS)
        assert response.status_code == 200
        plans = {p["code"]: p for p in response.json()}
        assert set(plans) == {"free", "pro", "pro-usd"}
        assert plans["free"]["is_free"] is True
        assert plans["free"]["monthly_credits"] == 30
        assert (plans["pro"]["price_amount"], plans["pro"]["price"]) == (9900, "₩9,900")
        assert plans["pro-usd"]["price"] == "$9.99"
        assert plans["pro"]["features"] == {"priority_ai": True}

    def test_the_free_plan_is_created_once(self, api_client):
        api_client.get(PLANS)
        api_client.get(PLANS)
        assert SubscriptionPlan.objects.filter(code="free").count() == 1


@pytest.mark.django_db
class TestWithoutKeys:
    @pytest.mark.parametrize(
        ("path", "body"),
        [(CHECKOUT, {"plan_id": 1}), (CANCEL, {}), (RESUME, {}), (PORTAL, {})],
    )
    def test_billing_endpoints_answer_503(self, auth_client, no_billing, path, body):
        response = auth_client.post(path, body, format="json")
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "billing_not_configured"

    def test_the_webhook_answers_503_and_stores_nothing(self, deliver, no_billing):
        from subscription.models import WebhookEvent

        event = {"id": "evt_1", "type": "invoice.paid", "created": 1, "data": {"object": {}}}
        response = deliver(event)
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "billing_not_configured"
        assert not WebhookEvent.objects.exists()

    def test_plans_and_current_still_work(self, auth_client, no_billing):
        assert auth_client.get(PLANS).status_code == 200
        assert auth_client.get(CURRENT).json()["plan"]["code"] == "free"


@pytest.mark.django_db
class TestCheckout:
    def test_creates_the_customer_once_and_a_subscription_session(
        self, auth_client, user, synced_pro, billing
    ):
        first = auth_client.post(CHECKOUT, {"plan_id": synced_pro.pk}, format="json")
        second = auth_client.post(CHECKOUT, {"plan_id": synced_pro.pk}, format="json")

        assert first.status_code == 200, first.content
        body = first.json()
        assert body["checkout_url"].startswith("https://checkout.stripe.com/")
        assert body["session_id"].startswith("cs_test_")
        assert second.json()["session_id"] != body["session_id"]
        assert len(stripe_calls(billing, "POST", "/v1/customers")) == 1
        link = StripeCustomer.objects.get(user=user)
        sent = decode_form(stripe_calls(billing, "POST", "/v1/checkout/sessions")[0].body.decode())
        assert sent["mode"] == "subscription"
        assert sent["customer"] == link.stripe_customer_id
        assert sent["line_items"] == [{"price": synced_pro.stripe_price_id, "quantity": "1"}]
        assert sent["client_reference_id"] == str(user.pk)
        assert sent["subscription_data"]["metadata"]["plan_code"] == "pro"
        # No card data crosses our server: only ids and URLs are sent.
        assert not {"card", "payment_method", "source"} & set(sent)

    def test_a_promo_code_is_attached(self, auth_client, synced_pro, billing):
        discount = Discount.objects.create(code="WELCOME10", percent_off=10)
        from subscription.services.discounts import discount_mirror_to_stripe

        discount_mirror_to_stripe(discount=discount)
        response = auth_client.post(
            CHECKOUT, {"plan_id": synced_pro.pk, "promo_code": "welcome10"}, format="json"
        )
        assert response.status_code == 200
        sent = decode_form(stripe_calls(billing, "POST", "/v1/checkout/sessions")[0].body.decode())
        assert sent["discounts"] == [{"promotion_code": discount.stripe_promotion_code_id}]

    def test_a_code_that_does_not_apply_is_a_validation_error(
        self, auth_client, synced_pro, billing
    ):
        response = auth_client.post(
            CHECKOUT,
            {"plan_id": synced_pro.pk, "promo_code": "NOPE"},
            format="json",
            HTTP_ACCEPT_LANGUAGE="en",
        )
        assert response.status_code == 400
        assert response.json()["error"]["fields"]["promo_code"] == ["This code does not exist."]
        assert not stripe_calls(billing, "POST", "/v1/checkout/sessions")

    def test_refusals(self, auth_client, user, synced_pro, billing):
        free = auth_client.get(PLANS).json()[0]
        assert free["code"] == "free"
        assert auth_client.post(CHECKOUT, {"plan_id": free["id"]}, format="json").status_code == 400
        assert auth_client.post(CHECKOUT, {"plan_id": 999}, format="json").status_code == 404
        unknown = auth_client.post(CHECKOUT, {"plan_id": 1, "card": "4242"}, format="json")
        assert unknown.status_code == 400
        UserSubscription.objects.create(
            user=user, plan=synced_pro, status="active", stripe_subscription_id="sub_x"
        )
        response = auth_client.post(CHECKOUT, {"plan_id": synced_pro.pk}, format="json")
        assert response.status_code == 409

    def test_a_plan_not_synced_cannot_be_bought(self, auth_client, pro_plan, billing):
        response = auth_client.post(CHECKOUT, {"plan_id": pro_plan.pk}, format="json")
        assert response.status_code == 400
        assert "plan_id" in response.json()["error"]["fields"]

    def test_a_wrong_key_is_a_503_and_nothing_is_stored(
        self, auth_client, user, synced_pro, billing, settings
    ):
        settings.STRIPE_SECRET_KEY = "sk_test_revoked"
        response = auth_client.post(CHECKOUT, {"plan_id": synced_pro.pk}, format="json")
        assert response.status_code == 503
        assert billing.requests[-1].headers["authorization"] == "Bearer sk_test_revoked"
        assert not StripeCustomer.objects.filter(user=user).exists()

    def test_stripe_down_is_a_503_not_a_500(self, auth_client, synced_pro, billing):
        billing.enqueue(billing.error(500), billing.error(500))
        response = auth_client.post(CHECKOUT, {"plan_id": synced_pro.pk}, format="json")
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "service_unavailable"


@pytest.mark.django_db
class TestManagingTheSubscription:
    @pytest.fixture
    def subscribed(self, user, synced_pro, billing):
        customer = billing._create_customer({"email": user.email})
        StripeCustomer.objects.create(user=user, stripe_customer_id=customer["id"])
        stripe_sub = billing.add_subscription(
            customer=customer["id"], price_id=synced_pro.stripe_price_id
        )
        return UserSubscription.objects.create(
            user=user,
            plan=synced_pro,
            status="active",
            stripe_subscription_id=stripe_sub["id"],
            stripe_customer_id=customer["id"],
            stripe_updated_at=timezone.now() - datetime.timedelta(minutes=5),
        )

    def test_current_shows_the_paid_plan(self, auth_client, subscribed):
        body = auth_client.get(CURRENT).json()
        assert (body["plan"]["code"], body["status"]) == ("pro", "active")
        assert body["stripe_subscription_id"] == subscribed.stripe_subscription_id

    def test_cancel_at_period_end_then_resume(self, auth_client, subscribed, billing):
        response = auth_client.post(CANCEL)
        assert response.status_code == 200
        assert response.json()["cancel_at_period_end"] is True
        assert response.json()["status"] == "active"
        assert billing.objects[subscribed.stripe_subscription_id]["cancel_at_period_end"] is True
        assert auth_client.post(CANCEL).status_code == 409

        response = auth_client.post(RESUME)
        assert response.status_code == 200
        assert response.json()["cancel_at_period_end"] is False
        subscribed.refresh_from_db()
        assert subscribed.cancel_at_period_end is False
        assert subscribed.current_period_end is not None

    def test_portal_link(self, auth_client, subscribed, billing):
        response = auth_client.post(PORTAL)
        assert response.status_code == 200
        assert response.json()["url"].startswith("https://billing.stripe.com/")
        sent = decode_form(
            stripe_calls(billing, "POST", "/v1/billing_portal/sessions")[0].body.decode()
        )
        assert sent["customer"] == subscribed.stripe_customer_id

    def test_nothing_to_cancel_or_no_billing_account(self, auth_client, billing):
        assert auth_client.post(CANCEL).status_code == 409
        assert auth_client.post(RESUME).status_code == 409
        assert auth_client.post(PORTAL).status_code == 409


@pytest.mark.django_db
class TestPromoValidate:
    def check(self, client, code, plan):
        response = client.post(
            PROMO, {"code": code, "plan_id": plan.pk}, format="json", HTTP_ACCEPT_LANGUAGE="en"
        )
        assert response.status_code == 200, response.content
        return response.json()

    def test_a_valid_code_shows_the_discounted_price(self, auth_client, pro_plan):
        Discount.objects.create(code="HALF", percent_off=50)
        body = self.check(auth_client, "half", pro_plan)
        assert body["valid"] is True
        assert body["discounted_price"]["formatted"] == "₩4,950"
        assert body["original_price"]["formatted"] == "₩9,900"

    def test_reasons_a_code_does_not_apply(self, auth_client, user, other_user, pro_plan, usd_plan):
        now = timezone.now()
        day = datetime.timedelta(days=1)
        Discount.objects.create(code="OFF", percent_off=10, is_active=False)
        Discount.objects.create(code="SOON", percent_off=10, valid_from=now + day)
        Discount.objects.create(code="OLD", percent_off=10, valid_until=now - day)
        used_up = Discount.objects.create(code="GONE", percent_off=10, max_redemptions=1)
        DiscountRedemption.objects.create(
            discount=used_up, user=other_user, stripe_checkout_session_id="cs_1"
        )
        mine = Discount.objects.create(code="ONCE", percent_off=10)
        DiscountRedemption.objects.create(
            discount=mine, user=user, stripe_checkout_session_id="cs_2"
        )
        Discount.objects.create(code="USDONLY", percent_off=10).plans.add(usd_plan)
        Discount.objects.create(code="FIRST", percent_off=10, first_subscription_only=True)
        UserSubscription.objects.create(
            user=user, plan=pro_plan, status="canceled", stripe_subscription_id="sub_old"
        )
        Discount.objects.create(code="DOLLARS", amount_off=500, currency="usd")

        reasons = {
            code: self.check(auth_client, code, pro_plan)
            for code in [
                "NOPE",
                "OFF",
                "SOON",
                "OLD",
                "GONE",
                "ONCE",
                "USDONLY",
                "FIRST",
                "DOLLARS",
            ]
        }
        assert all(body["valid"] is False for body in reasons.values())
        assert {code: body["reason"] for code, body in reasons.items()} == {
            "NOPE": "This code does not exist.",
            "OFF": "This code is no longer active.",
            "SOON": "This code is not valid yet.",
            "OLD": "This code has expired.",
            "GONE": "This code has been used the maximum number of times.",
            "ONCE": "You have already used this code.",
            "USDONLY": "This code does not apply to the chosen plan.",
            "FIRST": "This code is only for a first subscription.",
            "DOLLARS": "This code is for another currency.",
        }

    def test_bad_input(self, auth_client, pro_plan):
        assert auth_client.post(PROMO, {"code": "X"}, format="json").status_code == 400
        assert (
            auth_client.post(PROMO, {"code": "X", "plan_id": 999}, format="json").status_code == 404
        )
