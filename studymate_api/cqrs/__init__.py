"""Append-only event store, outbox and subscribers.

Public API (everything an app needs is importable from here):

- typed events: `EventType(name, aggregate=..., payload=TypedDict)` in a producer's `events`
  module, `.record(...)`, `.payload_of(event)`; `declared_events()`
- event store: `record_event(...)`, `aggregate_version(...)`, `aggregate_events(...)`, `Actor`;
  `events_forget_user(...)` (account erasure)
- subscribers: `@event_subscriber(name, event_types=..., isolated=...)`, `subscribers`,
  `Subscriber`
- outbox: `publish(event_id)`, `publish_pending()`
"""

from __future__ import annotations

from . import admin as _admin  # noqa: F401  # registers the read-only event store admin
from .errors import AlreadyRegistered
from .events import EventType, declared_events
from .outbox import PublishReport, publish, publish_pending
from .store import Actor, aggregate_events, aggregate_version, events_forget_user, record_event
from .subscribers import (
    EventHandler,
    Subscriber,
    SubscriberRegistry,
    event_subscriber,
    subscribers,
)
from .tasks import publish_event, publish_outbox

__all__ = [
    "Actor",
    "AlreadyRegistered",
    "EventHandler",
    "EventType",
    "PublishReport",
    "Subscriber",
    "SubscriberRegistry",
    "aggregate_events",
    "aggregate_version",
    "declared_events",
    "event_subscriber",
    "events_forget_user",
    "publish",
    "publish_event",
    "publish_outbox",
    "publish_pending",
    "record_event",
    "subscribers",
]
