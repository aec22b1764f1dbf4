"""Typed event declarations: what a producer's `events` module is made of.

A producing app declares each of its events once, in its own `events` module:

    class SummaryCompletedPayload(TypedDict):
        summary_id: int
        ...

    SUMMARY_COMPLETED = EventType("SummaryCompleted", aggregate="summary",
                                  payload=SummaryCompletedPayload)

Its services record it with `SUMMARY_COMPLETED.record(aggregate_id=..., payload={...})` (mypy
checks the payload), in the transaction of the write. Consumers subscribe with the same object
(`@event_subscriber("...", event_types=[SUMMARY_COMPLETED])`) and read the payload typed with
`SUMMARY_COMPLETED.payload_of(event)`. No app spells another app's event name as a string.

The name is what the event store keeps (`DomainEvent.event_type`): never rename a declared one.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from .errors import AlreadyRegistered

if TYPE_CHECKING:
    from studymate_api.core.models import DomainEvent

    from .store import Actor

__all__ = ["EventType", "declared_events", "event_name"]

P = TypeVar("P", bound=Mapping[str, Any])

_lock = threading.Lock()
_declared: dict[str, EventType[Any]] = {}


@dataclass(frozen=True, eq=False)
class EventType(Generic[P]):
    """One kind of domain event: its stored name, its aggregate type and its payload type.

    The producer is the module that declares it (where its payload type lives)."""

    name: str
    aggregate: str
    payload: type[P]
    producer: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "producer", self.payload.__module__)
        with _lock:
            known = _declared.get(self.name)
            if known is not None and known.producer != self.producer:
                raise AlreadyRegistered(f"{self.name} is declared by {known.producer} already")
            _declared[self.name] = self

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<EventType {self.name} ({self.producer})>"

    def record(
        self,
        *,
        aggregate_id: str | int,
        payload: P,
        user: Actor = None,
        expected_version: int | None = None,
    ) -> DomainEvent:
        """`record_event` for this event type, in the current transaction."""
        from .store import record_event  # the store imports this module

        return record_event(
            aggregate_type=self.aggregate,
            aggregate_id=aggregate_id,
            event_type=self.name,
            payload=payload,
            user=user,
            expected_version=expected_version,
        )

    def payload_of(self, event: DomainEvent) -> P:
        """The stored payload, typed (it was checked when recorded)."""
        if event.event_type != self.name:
            raise ValueError(f"{event} is not a {self.name}")
        return cast(P, event.payload)


def event_name(event_type: str | EventType[Any]) -> str:
    return event_type.name if isinstance(event_type, EventType) else event_type


def declared_events() -> list[EventType[Any]]:
    """Every event type declared so far (the producers' `events` modules imported), by name."""
    with _lock:
        return sorted(_declared.values(), key=lambda declared: declared.name)
