"""`track_event`: the request-path side of business metrics. One append to the buffer, no database.

Events are JSON records with a unique id; the flush (`metrics.flush`) turns batches of them into
the aggregate tables. Recording metrics must never break the work being measured, so nothing
here raises: a failure is counted in `studymate_events_dropped_total` and logged.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

import structlog
from django.utils import timezone

from .buffer import BufferUnavailable, event_buffer
from .instruments import EVENTS_DROPPED, EVENTS_TRACKED

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

logger = structlog.get_logger(__name__)

# One kind today; the field keeps the record format open. Records of the retired "ai_call" kind
# (AI calls are counted from the AI usage rows now) are refused as malformed if one is left over.
EventKind = Literal["event"]

EVENT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
# Properties ride along with the event for later per-property aggregates; oversized ones are cut.
MAX_PROPS_BYTES = 4096


@dataclass(frozen=True)
class EventRecord:
    name: str
    kind: EventKind = "event"
    user_id: int | None = None
    occurred_at: datetime = field(default_factory=timezone.now)
    props: dict[str, Any] = field(default_factory=dict)
    id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def encode(self) -> str:
        return json.dumps(
            {
                "id": self.id,
                "kind": self.kind,
                "name": self.name,
                "user": self.user_id,
                "ts": self.occurred_at.timestamp(),
                "props": self.props,
            },
            separators=(",", ":"),
            default=str,
        )

    @classmethod
    def decode(cls, raw: str) -> EventRecord:
        """Raises ValueError, KeyError, TypeError or OverflowError on a record this module did
        not write."""
        data = json.loads(raw)
        kind = data["kind"]
        if kind != "event":
            raise ValueError(f"unknown event kind {kind!r}")
        user = data.get("user")
        return cls(
            id=str(data["id"]),
            kind=kind,
            name=str(data["name"]),
            user_id=int(user) if user is not None else None,
            occurred_at=datetime.fromtimestamp(float(data["ts"]), tz=UTC),
            props=dict(data.get("props") or {}),
        )


def track_event(
    name: str, /, user: AbstractBaseUser | AnonymousUser | int | None = None, **props: Any
) -> None:
    """Counts one business event (`summary_created`, `quiz_completed`, ...) for the aggregates.

    `name`: lower_snake_case, at most 64 characters. `user`: a user, an anonymous user, a user id
    or None; authenticated users count towards active users. `props`: JSON-able extras (`name`
    among them too: the event name is positional-only).
    """
    try:
        if not EVENT_NAME.match(name):
            _drop("invalid_name", event_name=str(name)[:80])
            return
        record = EventRecord(name=name, user_id=_user_id(user), props=_bounded(props, name))
        if enqueue(record):
            EVENTS_TRACKED.labels(event=name).inc()
    except Exception:  # recording a metric must never break the request being measured
        _drop("error", event_name=str(name)[:80], exc_info=True)


def enqueue(record: EventRecord) -> bool:
    """Appends a record to the buffer; False (counted, logged) when it could not."""
    try:
        dropped = event_buffer().push(record.encode())
    except BufferUnavailable:
        _drop("buffer_unavailable", event_name=record.name)
        return False
    if dropped:
        EVENTS_DROPPED.labels(reason="buffer_full").inc(dropped)
        logger.warning("metrics_buffer_full", dropped=dropped)
    return True


def _user_id(user: AbstractBaseUser | AnonymousUser | int | None) -> int | None:
    if user is None:
        return None
    if isinstance(user, int):
        return user
    if user.is_authenticated and user.pk is not None:
        return int(user.pk)
    return None


def _bounded(props: dict[str, Any], name: str) -> dict[str, Any]:
    if len(json.dumps(props, default=str)) <= MAX_PROPS_BYTES:
        return props
    logger.warning("metrics_event_props_too_large", event_name=name, keys=sorted(props)[:20])
    return {"truncated": True}


def _drop(reason: str, *, exc_info: bool = False, **context: Any) -> None:
    EVENTS_DROPPED.labels(reason=reason).inc()
    if exc_info:
        logger.exception("metrics_event_dropped", reason=reason, **context)
    elif reason != "buffer_unavailable":  # the buffer logs its outages itself
        logger.warning("metrics_event_dropped", reason=reason, **context)
