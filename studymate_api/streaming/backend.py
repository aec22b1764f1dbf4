"""The storage interface both backends implement, and the few rules they share.

A backend is a thin, thread-safe store with Redis Streams semantics (entries with "ms-seq" ids,
consumer groups, per-consumer pending lists with delivery counts). Policy — batching, retries,
dead-lettering, reclaiming — lives in StreamProcessor, so both backends behave the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from .records import ClaimPage, DeadLetter, Delivery, PendingEntry, StreamStatus

# Throughput is counted in buckets of a few seconds, kept for a minute (in Redis for Redis, so
# any process can read the rate of the consumers of every other process).
THROUGHPUT_BUCKET_SECONDS = 5
THROUGHPUT_WINDOW_SECONDS = 60


class StreamBackend(Protocol):
    name: str

    def publish(self, stream: str, data: Sequence[str], *, max_length: int) -> list[str]: ...

    def publish_routed(self, entries: Sequence[tuple[str, str]], *, max_length: int) -> list[str]:
        """Append each (stream, data) in one round trip, in order; returns their ids."""
        ...

    def ensure_group(self, stream: str, group: str, *, start_id: str) -> None:
        """Create the group (and the stream) unless it exists."""

    def read_new(
        self, stream: str, group: str, consumer: str, *, count: int, block_ms: int
    ) -> list[Delivery]:
        """Entries never handed to the group; raises GroupMissing."""
        ...

    def read_new_many(
        self, streams: Sequence[str], group: str, consumer: str, *, count: int, block_ms: int
    ) -> dict[str, list[Delivery]]:
        """`read_new` over several streams of one group in one wait (up to `count` from
        each); streams with nothing new are left out. Raises GroupMissing if one is missing."""
        ...

    def own_pending(
        self, stream: str, group: str, consumer: str, *, count: int
    ) -> list[PendingEntry]: ...

    def claim(
        self,
        stream: str,
        group: str,
        consumer: str,
        entries: Sequence[PendingEntry],
        *,
        min_idle_ms: int,
    ) -> list[Delivery]:
        """Take the entries that are still idle this long; each delivery count goes up by one."""
        ...

    def autoclaim(
        self, stream: str, group: str, consumer: str, *, min_idle_ms: int, cursor: str, count: int
    ) -> ClaimPage: ...

    def ack(self, stream: str, group: str, ids: Sequence[str]) -> int:
        """Acknowledge, and count the messages as processed for the throughput figure."""
        ...

    def dead_letter(
        self, stream: str, group: str, letters: Sequence[DeadLetter], *, max_length: int
    ) -> None:
        """Append to `<stream>:dead` and acknowledge the originals, atomically."""

    def dead_letters(self, stream: str, *, count: int) -> list[DeadLetter]:
        """The newest dead letters first."""
        ...

    def status(self, stream: str) -> StreamStatus: ...

    def delete(self, stream: str) -> None:
        """Drop the stream, its groups, dead letters and counters."""


def parse_id(entry_id: str) -> tuple[int, int]:
    milliseconds, _, sequence = entry_id.partition("-")
    return int(milliseconds), int(sequence or 0)


def format_id(entry_id: tuple[int, int]) -> str:
    return f"{entry_id[0]}-{entry_id[1]}"


def throughput_buckets(now: float) -> list[int]:
    """Bucket numbers covering the last window, oldest first, the current (partial) one last."""
    current = int(now) // THROUGHPUT_BUCKET_SECONDS
    span = THROUGHPUT_WINDOW_SECONDS // THROUGHPUT_BUCKET_SECONDS
    return list(range(current - span, current + 1))


def throughput_rate(processed: int, now: float) -> float:
    """Messages per second over the window the buckets of `throughput_buckets(now)` cover."""
    oldest_start = throughput_buckets(now)[0] * THROUGHPUT_BUCKET_SECONDS
    return processed / max(now - oldest_start, 1.0)
