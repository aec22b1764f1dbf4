"""Payments: one row per paid Stripe invoice (subscriptions) or paid checkout session (credit
top-ups), with what the receipt needs."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .packs import CreditPack
from .plans import SubscriptionPlan


class PaymentStatus(models.TextChoices):
    PAID = "paid", _("Paid")
    PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
    REFUNDED = "refunded", _("Refunded")


class PaymentKind(models.TextChoices):
    SUBSCRIPTION = "subscription", _("Subscription")
    CREDIT_TOP_UP = "credit_top_up", _("Credit top-up")


def _no_lines() -> list[dict[str, Any]]:
    return []


class Payment(models.Model):
    """Amounts are in the currency's minor unit (see `subscription.money`). `line_items` holds
    `{description, quantity, amount}` per line; `discount_amount` and `tax_amount` the totals
    of each. A subscription payment is keyed by its Stripe invoice, a top-up by its checkout
    session (each unique when set); `credits_granted`/`credits_reversed` are the top-up's
    credits given and taken back after refunds."""

    # Kept after the learner's account is erased (tax and commerce law): the link is emptied,
    # nothing else here names the person (`services.erasure`).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="payments",
    )
    kind = models.CharField(
        max_length=20, choices=PaymentKind.choices, default=PaymentKind.SUBSCRIPTION
    )
    plan = models.ForeignKey(
        SubscriptionPlan, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    credit_pack = models.ForeignKey(
        CreditPack, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=20, choices=PaymentStatus.choices, default="paid")
    stripe_invoice_id = models.CharField(max_length=255, blank=True)
    stripe_checkout_session_id = models.CharField(max_length=255, blank=True)
    stripe_subscription_id = models.CharField(max_length=255, blank=True)
    stripe_payment_intent_id = models.CharField(max_length=255, blank=True, db_index=True)
    invoice_number = models.CharField(max_length=100, blank=True)
    currency = models.CharField(max_length=3)
    subtotal = models.IntegerField(default=0)
    discount_amount = models.IntegerField(default=0)
    tax_amount = models.IntegerField(default=0)
    total = models.IntegerField(default=0)
    amount_paid = models.IntegerField(default=0)
    amount_refunded = models.IntegerField(default=0)
    credits_granted = models.PositiveIntegerField(default=0)
    credits_reversed = models.PositiveIntegerField(default=0)
    line_items = models.JSONField(default=_no_lines)
    hosted_invoice_url = models.URLField(max_length=500, blank=True)
    invoice_pdf_url = models.URLField(max_length=500, blank=True)
    # Stripe's hosted receipt of the charge (top-ups have no invoice page).
    receipt_url = models.URLField(max_length=500, blank=True)
    period_start = models.DateTimeField(null=True, blank=True)
    period_end = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-paid_at", "-id")
        indexes = [models.Index(fields=["user", "-paid_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["stripe_invoice_id"],
                condition=~models.Q(stripe_invoice_id=""),
                name="payment_unique_invoice",
            ),
            models.UniqueConstraint(
                fields=["stripe_checkout_session_id"],
                condition=~models.Q(stripe_checkout_session_id=""),
                name="payment_unique_checkout_session",
            ),
            models.CheckConstraint(
                condition=~models.Q(stripe_invoice_id="", stripe_checkout_session_id=""),
                name="payment_has_stripe_reference",
            ),
        ]

    def __str__(self) -> str:
        reference = self.stripe_invoice_id or self.stripe_checkout_session_id
        return f"{reference} {self.amount_paid} {self.currency}"
