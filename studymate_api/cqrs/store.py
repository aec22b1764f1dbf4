"""Appending to the event store and reading an aggregate's history."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import structlog
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, QuerySet
from django.utils.translation import gettext_lazy as _

from studymate_api.core.errors import Conflict
from studymate_api.core.models import DomainEvent

from .messages import Actor
from .stats import APPEND_RETRIES, EVENTS_RECORDED
from .tasks import schedule_publish

__all__ = ["aggregate_events", "aggregate_version", "record_event"]

logger = structlog.get_logger(__name__)

# First key of PostgreSQL advisory locks taken per aggregate: keeps them apart from other locks.
_AGGREGATE_LOCK_SPACE = 0x43515253  # "CQRS"


def record_event(
    *,
    aggregate_type: str,
    aggregate_id: str | int,
    event_type: str,
    payload: Mapping[str, Any] | None = None,
    user: Actor = None,
    expected_version: int | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> DomainEvent:
    """Append an event to the aggregate's stream in the current transaction.

    The event is published to subscribers after the surrounding transaction commits, and never
    if it rolls back. `expected_version` is the sequence of the last event the caller saw (0 for
    a new aggregate): if another writer got there first, Conflict is raised. Without it, losing
    the race for the next sequence number retries up to CQRS_APPEND_MAX_ATTEMPTS times.

    Other writers to the same aggregate wait until this transaction ends, so a long handler
    should record its events last (after any slow call), not first.
    """
    fields: dict[str, Any] = {
        "aggregate_type": aggregate_type,
        "aggregate_id": str(aggregate_id),
        "event_type": event_type,
        "payload": dict(payload or {}),
        "metadata": dict(metadata or {}),
        "user": user if user is not None and user.is_authenticated else None,
    }
    event = _append(fields, expected_version)
    EVENTS_RECORDED.labels(event_type).inc()
    event_id = event.pk
    transaction.on_commit(lambda: schedule_publish(event_id), robust=True)
    return event


def aggregate_version(aggregate_type: str, aggregate_id: str | int) -> int:
    """The sequence of the aggregate's last event; 0 when it has none."""
    last = DomainEvent.objects.filter(
        aggregate_type=aggregate_type, aggregate_id=str(aggregate_id)
    ).aggregate(last=Max("sequence"))["last"]
    return int(last or 0)


def aggregate_events(aggregate_type: str, aggregate_id: str | int) -> QuerySet[DomainEvent]:
    """The aggregate's events in sequence order."""
    return DomainEvent.objects.filter(
        aggregate_type=aggregate_type, aggregate_id=str(aggregate_id)
    ).order_by("sequence")


def _append(fields: dict[str, Any], expected_version: int | None) -> DomainEvent:
    for attempt in range(1, settings.CQRS_APPEND_MAX_ATTEMPTS + 1):
        sequence = 0
        try:
            # A savepoint inside the caller's transaction: a lost race undoes only this insert.
            with transaction.atomic():
                _lock_aggregate(fields["aggregate_type"], fields["aggregate_id"])
                current = aggregate_version(fields["aggregate_type"], fields["aggregate_id"])
                if expected_version is not None and current != expected_version:
                    raise _version_conflict(fields, expected_version, current)
                sequence = current + 1
                return DomainEvent.objects.create(sequence=sequence, **fields)
        except IntegrityError:
            if not sequence or not _sequence_taken(fields, sequence):
                raise  # some other constraint failed: not a race
            if expected_version is not None:
                raise _version_conflict(fields, expected_version, sequence) from None
            APPEND_RETRIES.inc()
            logger.info("cqrs.append.retry", attempt=attempt, stream=_stream(fields))
    raise Conflict(_("Too many concurrent changes; try again."))


def _lock_aggregate(aggregate_type: str, aggregate_id: str) -> None:
    """Serialise appends to one aggregate until the transaction ends (PostgreSQL only).

    Without it concurrent writers still cannot interleave (the unique constraint refuses the
    loser, who retries), but under contention they would burn through their retries. SQLite
    needs nothing: its transactions take the write lock up front.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, hashtext(%s))",
            [_AGGREGATE_LOCK_SPACE, f"{aggregate_type}:{aggregate_id}"],
        )


def _sequence_taken(fields: dict[str, Any], sequence: int) -> bool:
    return DomainEvent.objects.filter(
        aggregate_type=fields["aggregate_type"],
        aggregate_id=fields["aggregate_id"],
        sequence=sequence,
    ).exists()


def _version_conflict(fields: dict[str, Any], expected: int, actual: int) -> Conflict:
    logger.info("cqrs.append.conflict", stream=_stream(fields), expected=expected, actual=actual)
    return Conflict(_("This was changed by someone else in the meantime; reload and try again."))


def _stream(fields: dict[str, Any]) -> str:
    return f"{fields['aggregate_type']}:{fields['aggregate_id']}"
