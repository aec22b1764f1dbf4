"""Who hears about events after commit.

Apps register subscribers at start, in their `subscribers` module, naming the producer's typed
event:

    @event_subscriber("study.cache", event_types=[SUBJECT_RENAMED])
    def invalidate_subject_cache(event: DomainEvent) -> None: ...

A subscriber's name is stored with each delivery, so keep it stable. A subscriber hears only
events published after it was registered.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from studymate_api.core.models import DomainEvent

from .errors import AlreadyRegistered
from .events import EventType, event_name

__all__ = [
    "EventHandler",
    "Subscriber",
    "SubscriberRegistry",
    "event_subscriber",
    "subscribers",
]

EventHandler = Callable[[DomainEvent], None]


class Subscriber:
    """Receives events after commit, each at most once (see `EventDelivery`).

    Database writes made by `handle` commit together with the delivery record, so they happen
    exactly once. Effects outside the database (cache, network) may repeat if the process dies
    between them and the commit, or if another subscriber of the same batch fails (the batch
    is then redone with each subscriber isolated): keep those idempotent, or better, send them
    with `transaction.on_commit`.

    `isolated=True` runs the subscriber in its own savepoint instead of in the event's batch
    (see `outbox`): for one that calls the network or may fail independently, so its failures
    never make the others redo their work.
    """

    def __init__(
        self,
        name: str,
        handle: EventHandler,
        *,
        event_types: Iterable[str | EventType[Any]] | None = None,
        isolated: bool = False,
    ) -> None:
        self.name = name
        self._handle = handle
        self.event_types = (
            frozenset(event_name(t) for t in event_types) if event_types is not None else None
        )
        self.isolated = isolated

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"

    @property
    def handler(self) -> EventHandler:
        """The function that handles events (for listing where a subscriber lives)."""
        return self._handle

    def wants(self, event_type: str) -> bool:
        return self.event_types is None or event_type in self.event_types

    def handle(self, event: DomainEvent) -> None:
        self._handle(event)


class SubscriberRegistry:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_name: dict[str, Subscriber] = {}

    def register(self, subscriber: Subscriber) -> None:
        with self._lock:
            if subscriber.name in self._by_name:
                raise AlreadyRegistered(
                    f"an event subscriber named {subscriber.name!r} already exists"
                )
            self._by_name[subscriber.name] = subscriber

    def unregister(self, name: str) -> None:
        with self._lock:
            self._by_name.pop(name, None)

    def all(self) -> list[Subscriber]:
        """In registration order, which is also the order events are delivered in."""
        return list(self._by_name.values())

    def for_event(self, event_type: str) -> list[Subscriber]:
        return [s for s in self._by_name.values() if s.wants(event_type)]


subscribers = SubscriberRegistry()


def event_subscriber(
    name: str,
    *,
    event_types: Iterable[str | EventType[Any]] | None = None,
    isolated: bool = False,
) -> Callable[[EventHandler], EventHandler]:
    """Register a function as a subscriber; `event_types=None` hears every event. `isolated`:
    see `Subscriber`."""

    def decorator(handler: EventHandler) -> EventHandler:
        subscribers.register(Subscriber(name, handler, event_types=event_types, isolated=isolated))
        return handler

    return decorator
