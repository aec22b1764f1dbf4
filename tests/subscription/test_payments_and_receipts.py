"""Payments and receipts: your own only, totals in the payment's currency, JSON and HTML."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from subscription.models import Payment

PAYMENTS = "/api/subscription/payments/"


def receipt(payment_id: int) -> str:
    return f"{PAYMENTS}{payment_id}/receipt/"


def make_payment(user, plan, **fields) -> Payment:
    values = {
        "user": user,
        "plan": plan,
        "stripe_invoice_id": f"in_{Payment.objects.count() + 1}",
        "invoice_number": "SM-0001",
        "currency": "usd",
        "subtotal": 999,
        "discount_amount": 100,
        "tax_amount": 90,
        "total": 989,
        "amount_paid": 989,
        "line_items": [{"description": "Pro (USD) x 1", "quantity": 1, "amount": 999}],
        "hosted_invoice_url": "https://invoice.stripe.com/i/acct_1/in_1",
        "paid_at": timezone.now(),
        "period_start": timezone.now(),
        "period_end": timezone.now() + datetime.timedelta(days=30),
    }
    return Payment.objects.create(**(values | fields))


@pytest.mark.django_db
class TestPayments:
    def test_lists_only_your_payments_newest_first(
        self, auth_client, user, other_user, usd_plan, django_assert_num_queries
    ):
        older = make_payment(user, usd_plan, paid_at=timezone.now() - datetime.timedelta(days=31))
        newer = make_payment(user, usd_plan)
        make_payment(other_user, usd_plan)
        with django_assert_num_queries(3):  # the token's user, the count, the page
            response = auth_client.get(PAYMENTS)
        assert response.status_code == 200
        body = response.json()
        assert body["count"] == 2
        assert [p["id"] for p in body["results"]] == [newer.pk, older.pk]
        assert body["results"][0]["amount"] == {
            "amount": 989,
            "currency": "usd",
            "formatted": "$9.89",
        }

    def test_someone_elses_receipt_is_404(self, auth_client, other_user, usd_plan):
        theirs = make_payment(other_user, usd_plan)
        response = auth_client.get(receipt(theirs.pk))
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
        assert auth_client.get(receipt(theirs.pk), {"format": "html"}).status_code == 404

    def test_needs_sign_in(self, api_client):
        assert api_client.get(PAYMENTS).status_code == 401


@pytest.mark.django_db
class TestReceipt:
    def test_usd_receipt_with_discount_and_tax(self, auth_client, user, usd_plan):
        payment = make_payment(user, usd_plan)
        body = auth_client.get(receipt(payment.pk)).json()
        assert body["receipt_number"] == "SM-0001"
        assert body["line_items"] == [
            {
                "description": "Pro (USD) x 1",
                "quantity": 1,
                "amount": {"amount": 999, "currency": "usd", "formatted": "$9.99"},
            }
        ]
        formatted = {k: body[k]["formatted"] for k in ("subtotal", "discount", "tax", "total")}
        assert formatted == {
            "subtotal": "$9.99",
            "discount": "-$1.00",
            "tax": "$0.90",
            "total": "$9.89",
        }
        assert body["receipt_url"] == "https://invoice.stripe.com/i/acct_1/in_1"
        assert body["billed_to"]["email"] == user.email
        assert body["plan"] == "Pro (USD)"

    def test_krw_receipt(self, auth_client, user, pro_plan):
        payment = make_payment(
            user,
            pro_plan,
            currency="krw",
            subtotal=9900,
            discount_amount=990,
            tax_amount=891,
            total=9801,
            amount_paid=9801,
            line_items=[{"description": "Pro", "quantity": 1, "amount": 9900}],
        )
        body = auth_client.get(receipt(payment.pk)).json()
        assert body["total"]["formatted"] == "₩9,801"
        assert body["discount"]["formatted"] == "-₩990"

    @pytest.mark.parametrize("ask", ["query", "path"])
    def test_printable_html(self, auth_client, user, pro_plan, ask):
        payment = make_payment(user, pro_plan, currency="krw", total=9900, amount_paid=9900)
        if ask == "query":
            response = auth_client.get(receipt(payment.pk), {"format": "html"})
        else:
            response = auth_client.get(f"{PAYMENTS}{payment.pk}/receipt.html")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/html")
        page = response.content.decode()
        assert "₩9,900" in page
        assert "SM-0001" in page
        assert "https://invoice.stripe.com/i/acct_1/in_1" in page
        assert "@media print" in page
