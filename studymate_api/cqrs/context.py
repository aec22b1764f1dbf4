"""What handlers and middleware get besides the message: who acts, and the events recorded."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from studymate_api.core.models import DomainEvent

from .messages import Actor, Message
from .store import record_event

__all__ = ["CommandContext", "Context", "Middleware"]


@dataclass
class Context:
    """What a handler (and each middleware) knows about the dispatch besides the message."""

    user: Actor
    kind: str
    message_name: str
    # Events recorded through `CommandContext.record_event`, in order; always empty for queries.
    events: list[DomainEvent] = field(default_factory=list)


@dataclass
class CommandContext(Context):
    def record_event(
        self,
        *,
        aggregate_type: str,
        aggregate_id: str | int,
        event_type: str,
        payload: Mapping[str, Any] | None = None,
        expected_version: int | None = None,
    ) -> DomainEvent:
        """`record_event` in the command's transaction, on behalf of the acting user."""
        event = record_event(
            aggregate_type=aggregate_type,
            aggregate_id=aggregate_id,
            event_type=event_type,
            payload=payload,
            user=self.user,
            expected_version=expected_version,
            metadata={"command": self.message_name},
        )
        self.events.append(event)
        return event


# A middleware gets the message, the context and a callable running the rest of the chain.
Middleware = Callable[[Message[Any], Context, Callable[[], Any]], Any]
