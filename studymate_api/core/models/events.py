"""The append-only event store and its outbox (owned by studymate_api.cqrs).

`DomainEvent` rows are facts: once written, only the outbox columns (`published_at`, `attempts`,
`last_error`, `next_attempt_at`) ever change, and rows are never deleted. The model enforces
that for ORM writes; the one exception is forgetting a deleted user (`user` is SET_NULL, which
Django's delete collector does without going through this model's save or queryset).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

__all__ = ["OUTBOX_FIELDS", "AppendOnlyViolation", "DomainEvent", "EventDelivery"]

OUTBOX_FIELDS = frozenset({"published_at", "attempts", "last_error", "next_attempt_at"})


class AppendOnlyViolation(RuntimeError):
    """Code tried to change or delete a recorded event."""


class DomainEventQuerySet(models.QuerySet["DomainEvent"]):
    def update(self, **kwargs: Any) -> int:
        if not set(kwargs) <= OUTBOX_FIELDS:
            raise AppendOnlyViolation(f"only outbox columns may change, not {sorted(kwargs)}")
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyViolation("domain events are never deleted")


class DomainEvent(models.Model):
    aggregate_type = models.CharField(max_length=100)
    aggregate_id = models.CharField(max_length=100)
    # Position within the aggregate, from 1 without gaps; the unique constraint below is what
    # stops two concurrent writers from both claiming the same position.
    sequence = models.PositiveIntegerField()
    event_type = models.CharField(max_length=100)
    payload = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    # Where the event came from (command name, correlation id); never business data.
    metadata = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    occurred_at = models.DateTimeField(default=timezone.now)
    # Outbox: set once every subscriber has handled the event.
    published_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    # After a failed delivery the sweep leaves the event alone until then (backoff).
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    objects = DomainEventQuerySet.as_manager()

    class Meta:
        ordering = ("id",)
        constraints = (
            models.UniqueConstraint(
                fields=("aggregate_type", "aggregate_id", "sequence"),
                name="core_domainevent_unique_sequence",
            ),
            models.CheckConstraint(
                condition=models.Q(sequence__gte=1), name="core_domainevent_sequence_positive"
            ),
        )
        indexes = (
            models.Index(fields=("event_type",), name="core_domainevent_type_idx"),
            models.Index(
                fields=("id",),
                name="core_domainevent_outbox_idx",
                condition=models.Q(published_at__isnull=True),
            ),
        )

    def __str__(self) -> str:
        return f"{self.aggregate_type}:{self.aggregate_id}#{self.sequence} {self.event_type}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            update_fields = kwargs.get("update_fields")
            if update_fields is None or not set(update_fields) <= OUTBOX_FIELDS:
                raise AppendOnlyViolation("only outbox columns of a recorded event may change")
        super().save(*args, **kwargs)

    def delete(
        self, using: Any | None = None, keep_parents: bool = False
    ) -> tuple[int, dict[str, int]]:
        raise AppendOnlyViolation("domain events are never deleted")


class EventDelivery(models.Model):
    """One subscriber has handled one event.

    Written in the same transaction as the subscriber's own effect, so the unique constraint
    makes delivery exactly-once for database effects: a retry skips subscribers already done.
    """

    event = models.ForeignKey(DomainEvent, on_delete=models.PROTECT, related_name="deliveries")
    subscriber = models.CharField(max_length=100)
    delivered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = (
            models.UniqueConstraint(
                fields=("event", "subscriber"), name="core_eventdelivery_unique_subscriber"
            ),
        )
        indexes = (models.Index(fields=("subscriber", "event"), name="core_delivery_sub_idx"),)

    def __str__(self) -> str:
        return f"{self.subscriber} <- event {self.event_id}"
