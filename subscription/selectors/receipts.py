"""A payment's receipt: lines, discount, tax and totals formatted in the payment's currency."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from ..models import Payment, PaymentKind
from ..money import money_payload


def receipt_build(*, payment: Payment) -> dict[str, Any]:
    currency = payment.currency
    user = payment.user
    return {
        "payment_id": payment.pk,
        "kind": payment.kind,
        "receipt_number": (
            payment.invoice_number
            or payment.stripe_invoice_id
            or payment.stripe_checkout_session_id
        ),
        "status": payment.status,
        "paid_at": payment.paid_at,
        # An erased learner's kept payment names nobody.
        "billed_to": (
            {"name": user.get_full_name() or user.username, "email": user.email}
            if user is not None
            else {"name": "", "email": ""}
        ),
        "plan": payment.plan.name if payment.plan else "",
        "credit_pack": payment.credit_pack.name if payment.credit_pack else "",
        "credits": payment.credits_granted,
        "credits_reversed": payment.credits_reversed,
        "period_start": payment.period_start,
        "period_end": payment.period_end,
        "currency": currency,
        "line_items": [
            {
                "description": line.get("description") or _default_line(payment),
                "quantity": int(line.get("quantity") or 1),
                "amount": money_payload(int(line.get("amount") or 0), currency),
            }
            for line in payment.line_items
        ],
        "subtotal": money_payload(payment.subtotal, currency),
        "discount": money_payload(-payment.discount_amount, currency),
        "tax": money_payload(payment.tax_amount, currency),
        "total": money_payload(payment.total, currency),
        "amount_paid": money_payload(payment.amount_paid, currency),
        "amount_refunded": money_payload(payment.amount_refunded, currency),
        # Stripe's hosted page: the invoice of a subscription payment, a top-up's receipt.
        "receipt_url": payment.hosted_invoice_url or payment.receipt_url,
        "invoice_pdf_url": payment.invoice_pdf_url,
    }


def _default_line(payment: Payment) -> str:
    if payment.kind == PaymentKind.CREDIT_TOP_UP:
        return _("%(credits)d AI credits") % {"credits": payment.credits_granted}
    return _("Subscription")
