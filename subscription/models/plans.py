"""Subscription plans: what a learner can buy and what each plan gives."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

FREE_PLAN_CODE = "free"


class PlanInterval(models.TextChoices):
    MONTH = "month", _("Monthly")
    YEAR = "year", _("Yearly")


def _no_features() -> dict[str, Any]:
    return {}


class SubscriptionPlan(models.Model):
    """A plan. `price_amount` is in the currency's minor unit as Stripe counts it: cents for
    USD, whole won for KRW (a zero-decimal currency); see `subscription.money`."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    price_amount = models.PositiveIntegerField(default=0)
    currency = models.CharField(max_length=3, default="krw")
    interval = models.CharField(max_length=8, choices=PlanInterval.choices, default="month")
    monthly_credits = models.PositiveIntegerField(default=0)
    features = models.JSONField(default=_no_features, blank=True)
    stripe_product_id = models.CharField(max_length=255, blank=True)
    stripe_price_id = models.CharField(max_length=255, blank=True)
    is_active = models.BooleanField(default=True)
    sort_order = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("sort_order", "price_amount", "id")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def is_free(self) -> bool:
        return self.code == FREE_PLAN_CODE
