"""Credit top-ups: packs on sale, a payment-mode Checkout Session through the real `stripe` SDK
against the stand-in, and the signed webhooks that grant the credits exactly once, only to the
learner who paid, only once the payment has settled; refunds take back what is unspent."""

from __future__ import annotations

import io
import time
from typing import Any

import pytest
from django.core.management import call_command

from subscription.models import CreditLedger, CreditPack, Payment, StripeCustomer, WebhookEvent
from subscription.services.credits import credits_charge
from tests.standins.stripe_api import decode_form

PACKS = "/api/subscription/credit-packs/"
TOP_UP = "/api/subscription/credits/top-up/"
CREDITS = "/api/subscription/credits/"
PAYMENTS = "/api/subscription/payments/"
FREE_ALLOWANCE = 30  # BILLING_FREE_PLAN_MONTHLY_CREDITS


def session_posts(api) -> list[dict[str, Any]]:
    return [
        decode_form(r.body.decode())
        for r in api.requests
        if r.method == "POST" and r.path == "/v1/checkout/sessions"
    ]


def balance(client) -> int:
    return int(client.get(CREDITS).json()["balance"])


def ledger(user) -> list[tuple[int, str, str]]:
    rows = CreditLedger.objects.filter(user=user).order_by("id")
    return [(row.delta, row.reason, row.idempotency_key) for row in rows]


@pytest.fixture
def pack(db) -> CreditPack:
    return CreditPack.objects.create(
        code="credits-100", name="100 credits", credits=100, price_amount=5000, currency="krw"
    )


@pytest.fixture
def synced_pack(billing, pack) -> CreditPack:
    call_command("billing_sync_plans", stdout=io.StringIO())
    pack.refresh_from_db()
    assert pack.stripe_price_id
    return pack


class TopUp:
    """A learner who asked for a top-up, and the events Stripe sends about it."""

    def __init__(self, api, client, pack: CreditPack) -> None:
        response = client.post(TOP_UP, {"pack_id": pack.pk}, format="json")
        assert response.status_code == 200, response.content
        self.api = api
        self.session_id: str = response.json()["session_id"]
        self.now = int(time.time())

    def event(self, kind: str, session: dict[str, Any], *, at: int = 0) -> dict[str, Any]:
        return self.api.event(f"checkout.session.{kind}", session, created=at or self.now)

    def completed(self, *, settled: bool = True) -> dict[str, Any]:
        return self.event("completed", self.api.pay_session(self.session_id, settled=settled))

    def async_succeeded(self) -> dict[str, Any]:
        session = self.api.settle_session(self.session_id)
        return self.event("async_payment_succeeded", session, at=self.now + 60)

    @property
    def intent_id(self) -> str:
        return str(self.api.objects[self.session_id]["payment_intent"])

    def refunded(self, amount: int) -> dict[str, Any]:
        charge = self.api.refund_intent(self.intent_id, amount)
        return self.api.event("charge.refunded", charge, created=self.now + 120)


@pytest.fixture
def top_up(billing, auth_client, synced_pack) -> TopUp:
    return TopUp(billing, auth_client, synced_pack)


@pytest.mark.django_db
class TestPacks:
    def test_public_list_of_active_packs_with_formatted_prices(self, api_client, pack):
        CreditPack.objects.create(
            code="usd-50", name="50 credits", credits=50, price_amount=499, currency="usd"
        )
        CreditPack.objects.create(
            code="old", name="Old", credits=1, price_amount=1, is_active=False
        )
        response = api_client.get(PACKS)
        assert response.status_code == 200
        packs = {p["code"]: p for p in response.json()}
        assert set(packs) == {"credits-100", "usd-50"}
        assert packs["credits-100"] | {"id": 0} == {
            "id": 0,
            "code": "credits-100",
            "name": "100 credits",
            "description": "",
            "credits": 100,
            "price_amount": 5000,
            "currency": "krw",
            "price": "₩5,000",
        }
        assert packs["usd-50"]["price"] == "$4.99"

    def test_listed_without_stripe_keys(self, api_client, pack, no_billing):
        assert [p["code"] for p in api_client.get(PACKS).json()] == ["credits-100"]


@pytest.mark.django_db
class TestSync:
    def sync(self, *args: str) -> str:
        out = io.StringIO()
        call_command("billing_sync_plans", *args, stdout=out)
        return out.getvalue()

    def test_a_pack_gets_a_product_and_a_one_time_price_once(self, billing, pack, pro_plan):
        first = self.sync()
        pack.refresh_from_db()
        assert "pack credits-100: product created, price created" in first
        assert pack.stripe_product_id == "studymate-pack-credits-100"
        price = billing.objects[pack.stripe_price_id]
        assert (price["type"], price["recurring"], price["unit_amount"], price["currency"]) == (
            "one_time",
            None,
            5000,
            "krw",
        )
        assert price["metadata"] == {"pack_code": "credits-100"}
        assert billing.objects["studymate-pack-credits-100"]["metadata"] == {
            "pack_code": "credits-100"
        }
        prices_before = len(billing.objects)
        assert "pack credits-100: up to date" in self.sync()
        assert "pro: up to date" in self.sync()
        assert len(billing.objects) == prices_before

    def test_a_new_price_archives_the_old_and_deactivation_follows(self, billing, pack):
        self.sync()
        pack.refresh_from_db()
        old_price = pack.stripe_price_id
        CreditPack.objects.filter(pk=pack.pk).update(price_amount=4500, is_active=False)
        assert "product updated, price created, old price archived" in self.sync()
        pack.refresh_from_db()
        assert billing.objects[old_price]["active"] is False
        assert billing.objects[pack.stripe_price_id]["unit_amount"] == 4500
        assert billing.objects[pack.stripe_product_id]["active"] is False

    def test_only_the_chosen_items(self, billing, pack, pro_plan):
        out = self.sync("--pack", "credits-100")
        assert "pack credits-100" in out
        assert "pro:" not in out
        pro_plan.refresh_from_db()
        assert pro_plan.stripe_price_id == ""


@pytest.mark.django_db
class TestTopUpCheckout:
    def test_a_payment_mode_session_for_the_learners_customer(
        self, auth_client, user, synced_pack, billing
    ):
        response = auth_client.post(TOP_UP, {"pack_id": synced_pack.pk}, format="json")
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["checkout_url"].startswith("https://checkout.stripe.com/")
        assert body["session_id"].startswith("cs_test_")
        sent = session_posts(billing)[0]
        link = StripeCustomer.objects.get(user=user)
        assert sent["mode"] == "payment"
        assert sent["customer"] == link.stripe_customer_id
        assert sent["line_items"] == [{"price": synced_pack.stripe_price_id, "quantity": "1"}]
        assert sent["metadata"] == {
            "kind": "credit_top_up",
            "user_id": str(user.pk),
            "pack_id": str(synced_pack.pk),
            "pack_code": "credits-100",
            "credits": "100",
        }
        assert sent["payment_intent_data"]["metadata"] == sent["metadata"]
        assert not {"card", "payment_method", "source", "subscription_data"} & set(sent)
        # Nothing is granted before Stripe says the payment went through.
        assert balance(auth_client) == FREE_ALLOWANCE
        assert not Payment.objects.exists()

    def test_the_customer_is_shared_with_subscription_checkout(
        self, auth_client, synced_pack, synced_pro, billing
    ):
        auth_client.post(TOP_UP, {"pack_id": synced_pack.pk}, format="json")
        auth_client.post("/api/subscription/checkout/", {"plan_id": synced_pro.pk}, format="json")
        auth_client.post(TOP_UP, {"pack_id": synced_pack.pk}, format="json")
        customers = [r for r in billing.requests if r.path == "/v1/customers"]
        assert len(customers) == 1
        assert len({s["customer"] for s in session_posts(billing)}) == 1

    def test_without_keys_503_and_nothing_changes(self, auth_client, user, pack, no_billing):
        response = auth_client.post(TOP_UP, {"pack_id": pack.pk}, format="json")
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "billing_not_configured"
        assert not StripeCustomer.objects.filter(user=user).exists()

    def test_needs_sign_in(self, api_client, synced_pack):
        response = api_client.post(TOP_UP, {"pack_id": synced_pack.pk}, format="json")
        assert response.status_code == 401

    @pytest.mark.parametrize(
        ("body", "status", "field"),
        [
            ({"pack_id": 999_999}, 404, None),
            ({"pack_id": "abc"}, 400, "pack_id"),
            ({"pack_id": 0}, 400, "pack_id"),
            ({"pack_id": 2**64}, 400, "pack_id"),
            ({"pack_id": None}, 400, "pack_id"),
            ({"pack_id": [1]}, 400, "pack_id"),
            ({}, 400, "pack_id"),
            ({"pack_id": 1, "credits": 10_000}, 400, "credits"),
        ],
        ids=["unknown", "text", "zero", "huge", "null", "list", "missing", "extra-field"],
    )
    def test_refusals_change_nothing(
        self, auth_client, user, synced_pack, billing, body, status, field
    ):
        requests_before = len(billing.requests)
        response = auth_client.post(TOP_UP, body, format="json")
        assert response.status_code == status, response.content
        error = response.json()["error"]
        assert error["code"] == ("not_found" if status == 404 else "validation_error")
        if field is not None:
            assert field in error["fields"]
        assert len(billing.requests) == requests_before
        assert not StripeCustomer.objects.filter(user=user).exists()

    def test_an_inactive_pack_is_404(self, auth_client, synced_pack, billing):
        CreditPack.objects.filter(pk=synced_pack.pk).update(is_active=False)
        response = auth_client.post(
            TOP_UP, {"pack_id": synced_pack.pk}, format="json", HTTP_ACCEPT_LANGUAGE="en"
        )
        assert response.status_code == 404
        assert response.json()["error"] == {
            "code": "not_found",
            "message": "No such credit pack.",
        }
        assert not session_posts(billing)

    def test_a_pack_not_synced_cannot_be_bought(self, auth_client, pack, billing):
        response = auth_client.post(TOP_UP, {"pack_id": pack.pk}, format="json")
        assert response.status_code == 400
        assert "pack_id" in response.json()["error"]["fields"]
        assert not billing.requests

    def test_malformed_json_is_a_parse_error(self, auth_client, synced_pack, billing):
        response = auth_client.post(TOP_UP, data="{pack_id", content_type="application/json")
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "parse_error"
        assert not session_posts(billing)

    def test_stripe_down_is_503(self, auth_client, synced_pack, billing):
        billing.enqueue(billing.error(500))
        response = auth_client.post(TOP_UP, {"pack_id": synced_pack.pk}, format="json")
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "service_unavailable"


@pytest.mark.django_db
class TestFulfilment:
    def test_a_paid_session_replayed_five_times_grants_once(
        self, deliver, top_up, user, auth_client
    ):
        event = top_up.completed()
        responses = [deliver(event) for _ in range(5)]
        assert [r.status_code for r in responses] == [200] * 5
        assert [r.json()["duplicate"] for r in responses] == [False] + [True] * 4
        assert balance(auth_client) == FREE_ALLOWANCE + 100
        grants = [row for row in ledger(user) if row[1] == "top_up"]
        assert grants == [(100, "top_up", f"topup:{top_up.session_id}")]
        payment = Payment.objects.get(user=user)
        assert (payment.kind, payment.credit_pack_id, payment.credits_granted) == (
            "credit_top_up",
            CreditPack.objects.get().pk,
            100,
        )
        assert (payment.amount_paid, payment.currency) == (5000, "krw")
        assert payment.stripe_payment_intent_id == top_up.intent_id

    def test_a_second_delivery_as_a_new_event_grants_nothing_more(
        self, deliver, top_up, user, auth_client
    ):
        session = top_up.api.pay_session(top_up.session_id)
        assert deliver(top_up.event("completed", session)).status_code == 200
        # Stripe's retry with a fresh event id, and a late async_payment_succeeded.
        assert deliver(top_up.event("completed", session, at=top_up.now + 5)).status_code == 200
        assert deliver(top_up.event("async_payment_succeeded", session)).status_code == 200
        assert balance(auth_client) == FREE_ALLOWANCE + 100
        assert Payment.objects.filter(user=user).count() == 1
        outcomes = list(WebhookEvent.objects.order_by("id").values_list("outcome", flat=True))
        assert outcomes == ["applied", *["ignored: top-up already fulfilled"] * 2]

    def test_a_pending_payment_grants_nothing_until_it_settles(
        self, deliver, top_up, user, auth_client
    ):
        assert deliver(top_up.completed(settled=False)).status_code == 200
        assert balance(auth_client) == FREE_ALLOWANCE
        assert not Payment.objects.exists()
        assert WebhookEvent.objects.get().outcome == "ignored: payment not settled yet"

        succeeded = top_up.async_succeeded()
        for _ in range(3):
            assert deliver(succeeded).status_code == 200
        assert balance(auth_client) == FREE_ALLOWANCE + 100
        assert Payment.objects.filter(user=user).count() == 1

    def test_a_failed_delayed_payment_grants_nothing(self, deliver, top_up, auth_client):
        session = top_up.api.pay_session(top_up.session_id, settled=False)
        deliver(top_up.event("completed", session))
        deliver(top_up.event("async_payment_failed", session, at=top_up.now + 60))
        assert balance(auth_client) == FREE_ALLOWANCE
        assert not Payment.objects.exists()
        assert WebhookEvent.objects.latest("id").outcome.startswith("applied: payment")

    def test_credits_are_those_the_pack_held_when_bought(self, deliver, top_up, auth_client):
        CreditPack.objects.update(credits=5)  # changed by an admin while the payment settled
        deliver(top_up.completed())
        assert balance(auth_client) == FREE_ALLOWANCE + 100

    def test_a_subscription_style_session_is_not_a_top_up(self, deliver, top_up, auth_client):
        session = top_up.api.pay_session(top_up.session_id)
        session["metadata"] = {"user_id": session["metadata"]["user_id"]}
        assert deliver(top_up.event("completed", session)).status_code == 200
        assert WebhookEvent.objects.get().outcome == "ignored: not a credit top-up"
        assert balance(auth_client) == FREE_ALLOWANCE


@pytest.mark.django_db
class TestWhoseCredits:
    def test_another_learners_top_up_credits_only_them(
        self, deliver, billing, synced_pack, auth_client, user, other_user, api_client
    ):
        from tests.conftest import login_tokens

        theirs = api_client
        theirs.credentials(
            HTTP_AUTHORIZATION=f"Bearer {login_tokens(theirs, other_user.email)['access']}"
        )
        their_top_up = TopUp(billing, theirs, synced_pack)
        assert deliver(their_top_up.completed()).status_code == 200
        assert balance(theirs) == FREE_ALLOWANCE + 100
        assert balance(auth_client) == FREE_ALLOWANCE
        assert not Payment.objects.filter(user=user).exists()
        theirs_payment = Payment.objects.get(user=other_user)
        response = auth_client.get(f"{PAYMENTS}{theirs_payment.pk}/receipt/")
        assert response.status_code == 404

    def test_a_session_claiming_you_on_someone_elses_customer_credits_nobody(
        self, deliver, billing, synced_pack, auth_client, user, other_user
    ):
        their_customer = billing._create_customer({"email": other_user.email})
        StripeCustomer.objects.create(user=other_user, stripe_customer_id=their_customer["id"])
        mine = TopUp(billing, auth_client, synced_pack)
        session = billing.pay_session(mine.session_id)
        session["customer"] = their_customer["id"]  # paid by them, metadata says it is yours
        assert deliver(mine.event("completed", session)).status_code == 200
        assert WebhookEvent.objects.get().outcome.startswith("ignored")
        assert not Payment.objects.exists()
        assert not CreditLedger.objects.filter(reason="top_up").exists()

    def test_a_session_of_an_unknown_customer_credits_nobody(self, deliver, top_up, auth_client):
        session = top_up.api.pay_session(top_up.session_id)
        session["customer"] = "cus_nobody"
        deliver(top_up.event("completed", session))
        assert balance(auth_client) == FREE_ALLOWANCE
        assert not Payment.objects.exists()


@pytest.mark.django_db
class TestRefunds:
    def test_the_refunded_share_of_unspent_credits_is_taken_back(
        self, deliver, top_up, user, auth_client
    ):
        deliver(top_up.completed())
        deliver(top_up.refunded(2000))  # 40 % of ₩5,000
        assert balance(auth_client) == FREE_ALLOWANCE + 60
        payment = Payment.objects.get()
        assert (payment.status, payment.amount_refunded, payment.credits_reversed) == (
            "partially_refunded",
            2000,
            40,
        )
        event = top_up.refunded(3000)
        for _ in range(3):
            deliver(event)
        assert balance(auth_client) == FREE_ALLOWANCE
        payment.refresh_from_db()
        assert (payment.status, payment.credits_reversed) == ("refunded", 100)
        refunds = [row[0] for row in ledger(user) if row[1] == "top_up_refund"]
        assert refunds == [-40, -60]

    def test_spent_credits_are_not_recovered_and_the_balance_stays_at_zero(
        self, deliver, top_up, user, auth_client
    ):
        deliver(top_up.completed())
        credits_charge(user=user, amount=120, reason="ai_usage", idempotency_key="spend")
        assert balance(auth_client) == 10
        deliver(top_up.refunded(5000))
        assert balance(auth_client) == 0
        assert Payment.objects.get().credits_reversed == 10

    def test_a_refund_reported_before_the_payment_is_applied_with_it(
        self, deliver, top_up, auth_client
    ):
        paid = top_up.completed()
        refund = top_up.refunded(5000)
        deliver(refund)
        assert WebhookEvent.objects.get().outcome.startswith("ignored: no payment")
        deliver(paid)
        payment = Payment.objects.get()
        assert (payment.status, payment.credits_granted, payment.credits_reversed) == (
            "refunded",
            100,
            100,
        )
        assert balance(auth_client) == FREE_ALLOWANCE

    def test_a_subscription_refund_keeps_the_months_credits(
        self, deliver, billing, auth_client, user, synced_pro
    ):
        customer = billing._create_customer({"email": user.email})
        subscription = billing.add_subscription(
            customer=customer["id"], price_id=synced_pro.stripe_price_id
        )
        StripeCustomer.objects.create(user=user, stripe_customer_id=customer["id"])
        invoice = billing.invoice(
            subscription, amount=9900, currency="krw", payment_intent="pi_sub"
        )
        deliver(billing.event("invoice.paid", invoice, created=int(time.time())))
        charge = billing.charge(payment_intent="pi_sub", amount=9900, refunded=9900, currency="krw")
        deliver(billing.event("charge.refunded", charge, created=int(time.time())))
        assert Payment.objects.get().status == "refunded"
        assert not CreditLedger.objects.filter(reason="top_up_refund").exists()
        assert CreditLedger.objects.filter(user=user, reason="monthly_allowance").count() == 1


@pytest.mark.django_db
class TestReceipt:
    def test_json_and_html_receipt_of_a_top_up(self, deliver, top_up, auth_client, user):
        deliver(top_up.completed())
        listed = auth_client.get(PAYMENTS).json()["results"]
        assert [(p["kind"], p["credit_pack"], p["credits_granted"]) for p in listed] == [
            ("credit_top_up", "100 credits", 100)
        ]
        assert listed[0]["amount"]["formatted"] == "₩5,000"
        payment_id = listed[0]["id"]

        receipt = auth_client.get(f"{PAYMENTS}{payment_id}/receipt/").json()
        charge_id = top_up.api.objects[top_up.intent_id]["latest_charge"]
        assert receipt["kind"] == "credit_top_up"
        assert (receipt["credit_pack"], receipt["credits"], receipt["plan"]) == (
            "100 credits",
            100,
            "",
        )
        assert receipt["receipt_number"] == f"STANDIN-{charge_id[-4:]}"
        assert receipt["receipt_url"] == f"https://pay.stripe.com/receipts/standin/{charge_id}"
        assert receipt["line_items"] == [
            {
                "description": "100 credits",
                "quantity": 1,
                "amount": {"amount": 5000, "currency": "krw", "formatted": "₩5,000"},
            }
        ]
        totals = {k: receipt[k]["formatted"] for k in ("subtotal", "discount", "tax", "total")}
        assert totals == {"subtotal": "₩5,000", "discount": "₩0", "tax": "₩0", "total": "₩5,000"}
        assert receipt["billed_to"]["email"] == user.email

        page = auth_client.get(f"{PAYMENTS}{payment_id}/receipt.html", HTTP_ACCEPT_LANGUAGE="en")
        assert page.status_code == 200
        assert page["Content-Type"].startswith("text/html")
        html = page.content.decode()
        assert "100 credits" in html
        assert "₩5,000" in html
        assert f"https://pay.stripe.com/receipts/standin/{charge_id}" in html
        assert "View the receipt on Stripe" in html
