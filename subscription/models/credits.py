"""AI credits: an append-only ledger and one lock row per learner.

The balance is the `balance_after` of the learner's newest ledger entry; entries are only ever
added, under the learner's `CreditBalance` row lock, so each one sees the one before it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CreditReason(models.TextChoices):
    MONTHLY_ALLOWANCE = "monthly_allowance", _("Monthly allowance")
    TOP_UP = "top_up", _("Purchased top-up")
    TOP_UP_REFUND = "top_up_refund", _("Refunded top-up taken back")
    ADMIN_ADJUSTMENT = "admin_adjustment", _("Adjustment by an administrator")
    AI_USAGE = "ai_usage", _("AI usage")
    AI_REFUND = "ai_refund", _("Refund of failed AI usage")


class CreditBalance(models.Model):
    """The row a charge locks (`select_for_update`) so that two charges of one learner run one
    after the other; it holds no balance of its own."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="credit_balance"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"credits of user {self.user_id}"


class CreditLedger(models.Model):
    # Kept, without the link, after the learner's account is erased (as payments are).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="credit_entries",
    )
    delta = models.IntegerField()
    reason = models.CharField(max_length=32, choices=CreditReason.choices)
    # What caused it: an invoice id, an AI request id, an admin's note.
    reference = models.CharField(max_length=255, blank=True)
    idempotency_key = models.CharField(max_length=255, unique=True)
    balance_after = models.IntegerField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-id",)
        indexes = [models.Index(fields=["user", "-id"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(balance_after__gte=0), name="credit_balance_never_negative"
            ),
            models.CheckConstraint(condition=~models.Q(delta=0), name="credit_delta_not_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.delta:+d} {self.reason}"
