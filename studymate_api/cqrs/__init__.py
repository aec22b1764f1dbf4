"""Command bus, query bus, append-only event store, outbox and projections.

Public API (everything an app needs is importable from here):

- messages: `Command[R]`, `Query[R]` (subclass as frozen dataclasses; override `permits(user)`,
  set `denied_as`), `Actor`, `is_authenticated`, `is_staff`
- buses: `command_bus`, `query_bus`, `@command_handler(T, sample=...)`, `@query_handler(T)`,
  `CommandBus`, `QueryBus`, `CommandContext`, `Context`, `Sample`, `Middleware`
- event store: `record_event(...)`, `aggregate_version(...)`, `aggregate_events(...)`
- subscribers: `@event_subscriber(name, event_types=...)`, `projection(name, reset=...)`,
  `subscribers`, `Subscriber`, `Projection`
- outbox: `publish(event_id)`, `publish_pending()`, `replay(projection_name)`
"""

from __future__ import annotations

from . import admin as _admin  # noqa: F401  # registers the read-only event store admin
from .bus import (
    CommandBus,
    QueryBus,
    Registration,
    Sample,
    command_bus,
    command_handler,
    query_bus,
    query_handler,
)
from .context import CommandContext, Context, Middleware
from .errors import AlreadyRegistered, NotRegistered
from .messages import Actor, Command, Message, Query, is_authenticated, is_staff
from .outbox import PublishReport, publish, publish_pending, replay
from .store import aggregate_events, aggregate_version, record_event
from .subscribers import (
    EventHandler,
    Projection,
    Subscriber,
    SubscriberRegistry,
    event_subscriber,
    projection,
    subscribers,
)
from .tasks import publish_event, publish_outbox

__all__ = [
    "Actor",
    "AlreadyRegistered",
    "Command",
    "CommandBus",
    "CommandContext",
    "Context",
    "EventHandler",
    "Message",
    "Middleware",
    "NotRegistered",
    "Projection",
    "PublishReport",
    "Query",
    "QueryBus",
    "Registration",
    "Sample",
    "Subscriber",
    "SubscriberRegistry",
    "aggregate_events",
    "aggregate_version",
    "command_bus",
    "command_handler",
    "event_subscriber",
    "is_authenticated",
    "is_staff",
    "projection",
    "publish",
    "publish_event",
    "publish_outbox",
    "publish_pending",
    "query_bus",
    "query_handler",
    "record_event",
    "replay",
    "subscribers",
]
