"""Promotion codes: managed in admin, mirrored to Stripe coupons and promotion codes."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .plans import SubscriptionPlan


class Discount(models.Model):
    """Either `percent_off` (1-100) or `amount_off` (minor units of `currency`)."""

    code = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=100, blank=True)
    percent_off = models.PositiveSmallIntegerField(null=True, blank=True)
    amount_off = models.PositiveIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    max_redemptions = models.PositiveIntegerField(null=True, blank=True)
    once_per_user = models.BooleanField(default=True)
    first_subscription_only = models.BooleanField(default=False)
    # Empty: every paid plan.
    plans = models.ManyToManyField(SubscriptionPlan, blank=True, related_name="discounts")
    is_active = models.BooleanField(default=True)
    stripe_coupon_id = models.CharField(max_length=255, blank=True)
    stripe_promotion_code_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(percent_off__isnull=False, amount_off__isnull=True)
                    | models.Q(percent_off__isnull=True, amount_off__isnull=False)
                ),
                name="discount_percent_or_amount",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class DiscountRedemption(models.Model):
    discount = models.ForeignKey(Discount, on_delete=models.PROTECT, related_name="redemptions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="discount_redemptions"
    )
    stripe_checkout_session_id = models.CharField(max_length=255, unique=True)
    redeemed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-redeemed_at",)

    def __str__(self) -> str:
        return f"{self.discount_id} by {self.user_id}"
