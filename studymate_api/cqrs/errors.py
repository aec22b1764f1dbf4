"""Programming errors of the CQRS wiring (not ApplicationErrors: a client cannot cause them)."""

from __future__ import annotations

__all__ = ["AlreadyRegistered", "NotRegistered"]


class AlreadyRegistered(RuntimeError):
    """A second handler for one message type, or a second subscriber with one name."""


class NotRegistered(LookupError):
    """No handler for a message type, or no subscriber or projection with a name."""
