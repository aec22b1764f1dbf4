"""Appending to the event store and reading an aggregate's history."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeAlias, cast

import structlog
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction
from django.db.models import Field, Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from studymate_api.core.errors import Conflict
from studymate_api.core.models import DomainEvent

from .events import EventType, event_name
from .stats import APPEND_RETRIES, EVENTS_RECORDED
from .subscribers import subscribers
from .tasks import schedule_publish

__all__ = ["Actor", "aggregate_events", "aggregate_version", "events_forget_user", "record_event"]

# Whoever causes an event: a signed-in user, an anonymous visitor, or the system (None).
Actor: TypeAlias = AbstractBaseUser | AnonymousUser | None

logger = structlog.get_logger(__name__)

# First key of PostgreSQL advisory locks taken per aggregate: keeps them apart from other locks.
_AGGREGATE_LOCK_SPACE = 0x43515253  # "CQRS"


def record_event(
    *,
    aggregate_type: str,
    aggregate_id: str | int,
    event_type: str | EventType[Any],
    payload: Mapping[str, Any] | None = None,
    user: Actor = None,
    expected_version: int | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> DomainEvent:
    """Append an event to the aggregate's stream in the current transaction.

    The event is published to subscribers after the surrounding transaction commits, and never
    if it rolls back; an event no subscriber hears is stored as published. `expected_version`
    is the sequence of the last event the caller saw (0 for a new aggregate): if another
    writer got there first, Conflict is raised. Without it, losing the race for the next
    sequence number retries up to CQRS_APPEND_MAX_ATTEMPTS times.

    Other writers to the same aggregate wait until this transaction ends, so a long handler
    should record its events last (after any slow call), not first.
    """
    name = event_name(event_type)
    # Nobody to deliver to: published as it is stored, no task and no outbox round.
    heard = bool(subscribers.for_event(name))
    fields: dict[str, Any] = {
        "aggregate_type": aggregate_type,
        "aggregate_id": str(aggregate_id),
        "event_type": name,
        "payload": dict(payload or {}),
        "metadata": dict(metadata or {}),
        "user": user if user is not None and user.is_authenticated else None,
        "published_at": None if heard else timezone.now(),
    }
    event = _append(fields, expected_version)
    EVENTS_RECORDED.labels(name).inc()
    if heard:
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
    """One INSERT that takes the next sequence itself (no read before it, no savepoint): a row
    another writer got first makes it insert nothing (ON CONFLICT DO NOTHING), and it retries.

    `atomic(savepoint=False)` joins the caller's transaction, or makes one so that the
    aggregate lock lasts until the insert commits. Nothing in it fails at the database, and
    the conflicts are raised after it, so the caller's transaction stays usable."""
    with transaction.atomic(savepoint=False):
        if expected_version != 0:
            # A new stream needs no lock: of concurrent first appends the unique sequence
            # keeps one, and the others are a Conflict, as they must be.
            _lock_aggregate(fields["aggregate_type"], fields["aggregate_id"])
        for attempt in range(1, settings.CQRS_APPEND_MAX_ATTEMPTS + 1):
            stored = _insert_next(fields, expected_version)
            if stored is not None:
                return stored
            if expected_version is not None:
                break
            APPEND_RETRIES.inc()
            logger.info("cqrs.append.retry", attempt=attempt, stream=_stream(fields))
    if expected_version is not None:
        current = aggregate_version(fields["aggregate_type"], fields["aggregate_id"])
        raise _version_conflict(fields, expected_version, current)
    raise Conflict(_("Too many concurrent changes; try again."))


# The next sequence is taken in the insert itself; a row another writer got first (the unique
# sequence) makes it insert nothing. `{having}` pins the aggregate's current version.
_INSERT_NEXT = (
    "INSERT INTO core_domainevent (aggregate_type, aggregate_id, event_type, payload, metadata,"
    " user_id, occurred_at, published_at, attempts, last_error, sequence)"
    " SELECT %s, %s, %s, %s, %s, %s, %s, %s, 0, '', COALESCE(MAX(sequence), 0) + 1"
    " FROM core_domainevent WHERE aggregate_type = %s AND aggregate_id = %s"
)
_ON_CONFLICT = (
    " ON CONFLICT (aggregate_type, aggregate_id, sequence) DO NOTHING RETURNING id, sequence"
)
_AT_VERSION = " HAVING COALESCE(MAX(sequence), 0) = %s"
_PREPARED = ("aggregate_type", "aggregate_id", "event_type", "payload", "metadata")


def _insert_next(fields: dict[str, Any], expected_version: int | None) -> DomainEvent | None:
    """Insert the event at the aggregate's next sequence; None when nothing was inserted (the
    sequence was taken meanwhile, or the aggregate is not at `expected_version`)."""
    event = DomainEvent(**fields)
    params = [_prepared(event, name) for name in _PREPARED]
    params += [event.user_id, _prepared(event, "occurred_at"), _prepared(event, "published_at")]
    params += [event.aggregate_type, event.aggregate_id]
    sql = _INSERT_NEXT
    if expected_version is not None:
        sql += _AT_VERSION
        params.append(expected_version)
    with connection.cursor() as cursor:
        cursor.execute(sql + _ON_CONFLICT, params)
        row = cursor.fetchone()
    if row is None:
        return None
    event.pk, event.sequence = row
    event._state.adding = False
    event._state.db = connection.alias
    return event


def _prepared(event: DomainEvent, name: str) -> Any:
    field = cast("Field[Any, Any]", DomainEvent._meta.get_field(name))
    return field.get_db_prep_save(getattr(event, name), connection)


def _lock_aggregate(aggregate_type: str, aggregate_id: str) -> None:
    """Serialise appends to one aggregate until the transaction ends (PostgreSQL only).

    Without it concurrent writers still cannot interleave (the unique constraint turns the
    loser's insert into nothing, and it retries), but under contention they would burn
    through their retries. SQLite needs nothing: its transactions take the write lock.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, hashtext(%s))",
            [_AGGREGATE_LOCK_SPACE, f"{aggregate_type}:{aggregate_id}"],
        )


def _version_conflict(fields: dict[str, Any], expected: int, actual: int) -> Conflict:
    logger.info("cqrs.append.conflict", stream=_stream(fields), expected=expected, actual=actual)
    return Conflict(_("This was changed by someone else in the meantime; reload and try again."))


def _stream(fields: dict[str, Any]) -> str:
    return f"{fields['aggregate_type']}:{fields['aggregate_id']}"


# Payload keys that name a user by id (the producers' payload types: `user_id`, the subject's
# `created_by`, an invitation's `inviter_id`).
_USER_KEYS = ("user_id", "created_by", "inviter_id")


def events_forget_user(*, user_id: int) -> int:
    """The one change the event store allows besides the outbox columns: when a person's
    account is erased, the events about them keep their type, aggregate and times, and lose
    their payload and metadata (which name the person, what they wrote and where from). Events
    about them still owed to subscribers are marked published: there is nobody left to react
    for. Returns how many events were emptied; running it again finds them empty.

    "About them": recorded by them, on their `user` aggregate, or naming them in a payload key
    of `_USER_KEYS`. Call it last in the erasure, after every subscriber has had the erasure
    event (it empties that one too)."""
    about = Q(user_id=user_id) | Q(aggregate_type="user", aggregate_id=str(user_id))
    for key in _USER_KEYS:
        about |= Q(**{f"payload__{key}": user_id})
    events = DomainEvent.objects.filter(about).exclude(payload={"erased": True}, metadata={})
    events.filter(published_at__isnull=True).update(published_at=timezone.now())
    # The queryset's own `update` refuses these columns (append-only): this is the exception.
    return QuerySet.update(events, payload={"erased": True}, metadata={}, user=None)
