"""Values that cross the StreamProcessor interface: messages, dead letters, status, run totals."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from typing import Any

from django.utils.translation import gettext_lazy as _

from studymate_api.core.errors import ErrorCode, ServiceUnavailable


class StreamUnavailable(ServiceUnavailable):
    """The stream store (Redis) did not answer; rendered as a 503 on API paths."""

    code = ErrorCode.STREAM_UNAVAILABLE
    default_message = _("Event streaming is temporarily unavailable. Try again later.")


class GroupMissing(Exception):
    """The consumer group (or the whole stream key) is gone, e.g. deleted by hand."""


@dataclass(frozen=True, slots=True)
class StreamMessage:
    """One event as a handler sees it. `deliveries` is 1 the first time it is handed out."""

    id: str
    payload: dict[str, Any]
    deliveries: int


@dataclass(frozen=True, slots=True)
class Delivery:
    """A message as a backend hands it out: still encoded (`data` is None if it has none)."""

    id: str
    data: str | None
    deliveries: int


@dataclass(frozen=True, slots=True)
class PendingEntry:
    id: str
    consumer: str
    idle_ms: int
    deliveries: int


@dataclass(frozen=True, slots=True)
class ClaimPage:
    """One XAUTOCLAIM step: `cursor` is "0-0" once the whole pending list has been scanned;
    `dropped` are pending ids whose entries were trimmed away, removed from the pending list."""

    cursor: str
    deliveries: list[Delivery]
    dropped: list[str]


@dataclass(frozen=True, slots=True)
class DeadLetter:
    message_id: str
    group: str
    consumer: str
    deliveries: int
    error: str
    data: str | None
    dead_at: str

    @property
    def payload(self) -> dict[str, Any] | None:
        """The original event, or None when it could not be decoded (that is why it died)."""
        try:
            value = json.loads(self.data) if self.data is not None else None
        except ValueError:
            return None
        return value if isinstance(value, dict) else None


@dataclass(frozen=True, slots=True)
class ConsumerStatus:
    name: str
    pending: int
    idle_ms: int


@dataclass(frozen=True, slots=True)
class GroupStatus:
    name: str
    lag: int  # entries in the stream not yet handed to any consumer of the group
    pending: int  # handed out, not yet acknowledged
    dead_letters: int  # moved to the dead-letter stream by this group, ever
    throughput: float  # messages processed per second over the last minute
    last_delivered_id: str
    consumers: tuple[ConsumerStatus, ...]


@dataclass(frozen=True, slots=True)
class StreamStatus:
    stream: str
    backend: str
    length: int
    dead_letters: int  # entries now in `<stream>:dead` (bounded like the stream)
    groups: tuple[GroupStatus, ...]

    def group(self, name: str) -> GroupStatus | None:
        return next((group for group in self.groups if group.name == name), None)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class ProcessingStats:
    """What one cycle (`process_once`) or a whole `run` did, in messages."""

    cycles: int = 0
    delivered: int = 0
    processed: int = 0  # handled and acknowledged
    failed: int = 0  # handler failed; left pending for a retry
    dead_lettered: int = 0
    reclaimed: int = 0  # taken over from a consumer that sat on them too long

    def __add__(self, other: ProcessingStats) -> ProcessingStats:
        return ProcessingStats(
            *(getattr(self, f.name) + getattr(other, f.name) for f in fields(self))
        )
