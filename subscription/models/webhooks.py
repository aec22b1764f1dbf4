"""Every Stripe event we accepted, stored once by its id: replays and retries find it here."""

from __future__ import annotations

from typing import Any

from django.db import models


class WebhookEvent(models.Model):
    stripe_event_id = models.CharField(max_length=255, unique=True)
    event_type = models.CharField(max_length=100)
    # When Stripe created the event (its `created`), which orders events on one object.
    stripe_created_at = models.DateTimeField()
    livemode = models.BooleanField(default=False)
    payload = models.JSONField()
    # What the handler did: "applied", "ignored: <why>".
    outcome = models.CharField(max_length=255, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-received_at", "-id")
        indexes = [models.Index(fields=["event_type", "received_at"])]

    def __str__(self) -> str:
        return f"{self.event_type} {self.stripe_event_id}"

    @property
    def data_object(self) -> dict[str, Any]:
        obj: dict[str, Any] = self.payload["data"]["object"]
        return obj
