"""Who hears about events after commit: plain subscribers (cache invalidation hooks) and
projections (read models that can be reset and rebuilt from the store).

Apps register them at start:

    @event_subscriber("study.cache", event_types=["subject.renamed"])
    def invalidate_subject_cache(event: DomainEvent) -> None: ...

    subject_counts = projection("study.subject_counts", reset=reset_subject_counts)

    @subject_counts.on("subject.created")
    def _count_subject(event: DomainEvent) -> None: ...

A subscriber's name is stored with each delivery, so keep it stable. A subscriber hears only
events published after it was registered; a new projection is filled with `replay(name)`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

from studymate_api.core.models import DomainEvent

from .errors import AlreadyRegistered, NotRegistered

__all__ = [
    "EventHandler",
    "Projection",
    "Subscriber",
    "SubscriberRegistry",
    "event_subscriber",
    "projection",
    "subscribers",
]

EventHandler = Callable[[DomainEvent], None]


class Subscriber:
    """Receives events after commit, each at most once (see `EventDelivery`).

    Database writes made by `handle` commit together with the delivery record, so they happen
    exactly once. Effects outside the database (cache, network) may repeat if the process dies
    between them and the commit: keep those idempotent.
    """

    def __init__(
        self, name: str, handle: EventHandler, *, event_types: Iterable[str] | None = None
    ) -> None:
        self.name = name
        self._handle = handle
        self.event_types = frozenset(event_types) if event_types is not None else None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"

    def wants(self, event_type: str) -> bool:
        return self.event_types is None or event_type in self.event_types

    def handle(self, event: DomainEvent) -> None:
        self._handle(event)


class Projection(Subscriber):
    """A read model: one handler per event type, and a reset that empties it for a replay.

    `reset` and the handlers must keep their state in the database so a replay (reset, then
    every event in order) is one transaction.
    """

    def __init__(self, name: str, *, reset: Callable[[], None]) -> None:
        super().__init__(name, self._apply, event_types=())
        self._reset = reset
        self._handlers: dict[str, EventHandler] = {}

    def on(self, *event_types: str) -> Callable[[EventHandler], EventHandler]:
        def decorator(handler: EventHandler) -> EventHandler:
            for event_type in event_types:
                if event_type in self._handlers:
                    raise AlreadyRegistered(f"{self.name} already handles {event_type}")
                self._handlers[event_type] = handler
            self.event_types = frozenset(self._handlers)
            return handler

        return decorator

    def reset(self) -> None:
        self._reset()

    def _apply(self, event: DomainEvent) -> None:
        self._handlers[event.event_type](event)


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

    def get(self, name: str) -> Subscriber:
        try:
            return self._by_name[name]
        except KeyError:
            raise NotRegistered(f"no event subscriber named {name!r}") from None

    def projection(self, name: str) -> Projection:
        subscriber = self.get(name)
        if not isinstance(subscriber, Projection):
            raise NotRegistered(f"{name!r} is a subscriber, not a projection")
        return subscriber

    def all(self) -> list[Subscriber]:
        """In registration order, which is also the order events are delivered in."""
        return list(self._by_name.values())

    def projections(self) -> list[Projection]:
        return [s for s in self._by_name.values() if isinstance(s, Projection)]

    def for_event(self, event_type: str) -> list[Subscriber]:
        return [s for s in self._by_name.values() if s.wants(event_type)]


subscribers = SubscriberRegistry()


def event_subscriber(
    name: str, *, event_types: Iterable[str] | None = None
) -> Callable[[EventHandler], EventHandler]:
    """Register a function as a subscriber; `event_types=None` hears every event."""

    def decorator(handler: EventHandler) -> EventHandler:
        subscribers.register(Subscriber(name, handler, event_types=event_types))
        return handler

    return decorator


def projection(name: str, *, reset: Callable[[], None]) -> Projection:
    """Register a projection; add its event handlers with `@<projection>.on("event.type")`."""
    result = Projection(name, reset=reset)
    subscribers.register(result)
    return result
