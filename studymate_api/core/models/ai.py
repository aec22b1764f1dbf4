"""AI call accounting (owned by studymate_api.ai).

One `AIUsage` row per provider attempt the gateway makes, written by
`studymate_api.ai.accounting` only. All attempts of one `generate` call share a `request_id`;
the per-user daily limit counts distinct request ids, so retries and fallbacks cost the user
one request.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

__all__ = ["AIUsage"]


class AIUsage(models.Model):
    class Outcome(models.TextChoices):
        SUCCESS = "success"
        # A success from a provider other than the first one tried: the answer came by fallback.
        FALLBACK = "fallback"
        ERROR = "error"
        TIMEOUT = "timeout"
        RATE_LIMITED = "rate_limited"
        # Refused before any model was called: the daily limit, the credit hook, or this
        # provider's open circuit breaker.
        REJECTED = "rejected"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        # The spend happened whatever becomes of the account.
        on_delete=models.SET_NULL,
        related_name="+",
    )
    request_id = models.UUIDField(default=uuid.uuid4)
    # An `studymate_api.ai.AITask` value; no choices, so a new task needs no migration.
    task = models.CharField(max_length=32)
    # Empty when the request was rejected before a provider was chosen.
    provider = models.CharField(max_length=16, blank=True, default="")
    model = models.CharField(max_length=100, blank=True, default="")
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    # Per-call costs are fractions of a cent: eight decimal places keep cheap models exact.
    cost_usd = models.DecimalField(max_digits=14, decimal_places=8, default=0)
    latency_ms = models.PositiveIntegerField(default=0)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    streamed = models.BooleanField(default=False)
    error = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "AI usage"
        verbose_name_plural = "AI usage"
        indexes = (
            models.Index(fields=("user", "created_at"), name="core_aiusage_user_day_idx"),
            models.Index(fields=("created_at",), name="core_aiusage_created_idx"),
        )

    def __str__(self) -> str:
        return f"{self.task} via {self.provider or '-'}/{self.model or '-'}: {self.outcome}"
