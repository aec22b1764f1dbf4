"""Credit packs: one-time purchases of AI credits on top of a plan's monthly allowance."""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models


class CreditPack(models.Model):
    """A pack of `credits` sold once for `price_amount`, in the currency's minor unit as Stripe
    counts it (see `subscription.money`). `billing_sync_plans` mirrors it to a Stripe product
    with a one-time price."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    credits = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    price_amount = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    currency = models.CharField(max_length=3, default="krw")
    stripe_product_id = models.CharField(max_length=255, blank=True)
    stripe_price_id = models.CharField(max_length=255, blank=True)
    is_active = models.BooleanField(default=True)
    sort_order = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("sort_order", "price_amount", "id")
        constraints = [
            models.CheckConstraint(condition=models.Q(credits__gt=0), name="credit_pack_credits"),
            models.CheckConstraint(
                condition=models.Q(price_amount__gt=0), name="credit_pack_price"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"
