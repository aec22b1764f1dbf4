"""The subscription section of a learner's data export (`accounts.data_export`)."""

from __future__ import annotations

from typing import Any

from django.db.models import F

from ..models import CreditLedger, DiscountRedemption, Payment, UserSubscription


def subscription_export_for_user(user_id: int) -> dict[str, list[Any]]:
    """The learner's subscriptions with their plan, payments (with what a receipt shows), the
    credit ledger and the promotion codes they redeemed. One query per table."""
    return {
        "subscriptions": list(
            UserSubscription.objects.filter(user_id=user_id)
            .order_by("created_at", "id")
            .values(
                "id",
                "status",
                "current_period_start",
                "current_period_end",
                "cancel_at_period_end",
                "canceled_at",
                "created_at",
                plan_code=F("plan__code"),
                plan_name=F("plan__name"),
            )
        ),
        "payments": list(
            Payment.objects.filter(user_id=user_id)
            .order_by("paid_at", "id")
            .values(
                "id",
                "kind",
                "status",
                "invoice_number",
                "currency",
                "subtotal",
                "discount_amount",
                "tax_amount",
                "total",
                "amount_paid",
                "amount_refunded",
                "credits_granted",
                "credits_reversed",
                "line_items",
                "hosted_invoice_url",
                "receipt_url",
                "period_start",
                "period_end",
                "paid_at",
                plan_code=F("plan__code"),
                credit_pack_code=F("credit_pack__code"),
            )
        ),
        "credit_ledger": list(
            CreditLedger.objects.filter(user_id=user_id)
            .order_by("id")
            .values("delta", "reason", "reference", "balance_after", "created_at")
        ),
        "promo_codes": list(
            DiscountRedemption.objects.filter(user_id=user_id)
            .order_by("redeemed_at", "id")
            .values("redeemed_at", code=F("discount__code"))
        ),
    }
