"""Programming errors of the event wiring (not ApplicationErrors: a client cannot cause them)."""

from __future__ import annotations

__all__ = ["AlreadyRegistered"]


class AlreadyRegistered(RuntimeError):
    """A second subscriber with one name."""
