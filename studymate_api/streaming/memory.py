"""The in-process backend: Redis Streams semantics in one process's memory, for the embedded
default and for tests. One lock guards everything; readers wait on a condition for new entries."""

from __future__ import annotations

import bisect
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from .backend import format_id, parse_id, throughput_buckets, throughput_rate
from .records import (
    ClaimPage,
    ConsumerStatus,
    DeadLetter,
    Delivery,
    GroupMissing,
    GroupStatus,
    PendingEntry,
    StreamStatus,
)

EntryId = tuple[int, int]


@dataclass(slots=True)
class _Pending:
    consumer: str
    delivered_at: float  # time.monotonic()
    deliveries: int


@dataclass(slots=True)
class _Group:
    last_delivered: EntryId
    # Keyed by entry id; entries are handed out in id order and a claim only updates the value,
    # so insertion order is id order, as XAUTOCLAIM's scan expects.
    pending: dict[EntryId, _Pending] = field(default_factory=dict)
    consumers: dict[str, float] = field(default_factory=dict)  # name -> last seen (monotonic)
    dead_lettered: int = 0
    processed: dict[int, int] = field(default_factory=dict)  # throughput bucket -> count


@dataclass(slots=True)
class _Stream:
    ids: list[EntryId] = field(default_factory=list)  # ascending
    data: dict[EntryId, str] = field(default_factory=dict)
    last_generated: EntryId = (0, 0)
    groups: dict[str, _Group] = field(default_factory=dict)
    dead: deque[DeadLetter] = field(default_factory=deque)


class InMemoryStreamBackend:
    name = "memory"

    def __init__(self) -> None:
        self._streams: dict[str, _Stream] = {}
        self._lock = threading.Lock()
        self._new_entries = threading.Condition(self._lock)

    def publish(self, stream: str, data: Sequence[str], *, max_length: int) -> list[str]:
        with self._lock:
            state = self._streams.setdefault(stream, _Stream())
            ids = [self._append(state, item) for item in data]
            if len(state.ids) > max_length:
                for entry_id in state.ids[: len(state.ids) - max_length]:
                    del state.data[entry_id]
                del state.ids[: len(state.ids) - max_length]
            self._new_entries.notify_all()
        return [format_id(entry_id) for entry_id in ids]

    def publish_routed(self, entries: Sequence[tuple[str, str]], *, max_length: int) -> list[str]:
        ids: list[str] = []
        for stream, item in entries:  # one lock each: nothing here waits on I/O
            ids += self.publish(stream, [item], max_length=max_length)
        return ids

    @staticmethod
    def _append(state: _Stream, item: str) -> EntryId:
        now_ms = int(time.time() * 1000)
        last_ms, last_seq = state.last_generated
        entry_id = (now_ms, 0) if now_ms > last_ms else (last_ms, last_seq + 1)
        state.last_generated = entry_id
        state.ids.append(entry_id)
        state.data[entry_id] = item
        return entry_id

    def ensure_group(self, stream: str, group: str, *, start_id: str) -> None:
        with self._lock:
            state = self._streams.setdefault(stream, _Stream())
            if group not in state.groups:
                start = state.last_generated if start_id == "$" else parse_id(start_id)
                state.groups[group] = _Group(last_delivered=start)

    def read_new(
        self, stream: str, group: str, consumer: str, *, count: int, block_ms: int
    ) -> list[Delivery]:
        deadline = time.monotonic() + block_ms / 1000
        with self._lock:
            while True:
                state, group_state = self._group(stream, group)
                group_state.consumers[consumer] = time.monotonic()
                start = bisect.bisect_right(state.ids, group_state.last_delivered)
                taken = state.ids[start : start + count]
                remaining = deadline - time.monotonic()
                if taken or remaining <= 0:
                    break
                self._new_entries.wait(remaining)
            now = time.monotonic()
            for entry_id in taken:
                group_state.pending[entry_id] = _Pending(consumer, now, 1)
            if taken:
                group_state.last_delivered = taken[-1]
            return [Delivery(format_id(i), state.data[i], 1) for i in taken]

    def read_new_many(
        self, streams: Sequence[str], group: str, consumer: str, *, count: int, block_ms: int
    ) -> dict[str, list[Delivery]]:
        deadline = time.monotonic() + block_ms / 1000
        with self._lock:
            while True:
                taken: dict[str, list[EntryId]] = {}
                for stream in streams:
                    state, group_state = self._group(stream, group)
                    group_state.consumers[consumer] = time.monotonic()
                    start = bisect.bisect_right(state.ids, group_state.last_delivered)
                    if ids := state.ids[start : start + count]:
                        taken[stream] = ids
                remaining = deadline - time.monotonic()
                if taken or remaining <= 0 or not streams:
                    break
                self._new_entries.wait(remaining)
            now = time.monotonic()
            deliveries: dict[str, list[Delivery]] = {}
            for stream, ids in taken.items():
                state, group_state = self._group(stream, group)
                for entry_id in ids:
                    group_state.pending[entry_id] = _Pending(consumer, now, 1)
                group_state.last_delivered = ids[-1]
                deliveries[stream] = [Delivery(format_id(i), state.data[i], 1) for i in ids]
            return deliveries

    def own_pending(
        self, stream: str, group: str, consumer: str, *, count: int
    ) -> list[PendingEntry]:
        now = time.monotonic()
        with self._lock:
            _, group_state = self._group(stream, group)
            mine = (
                PendingEntry(format_id(i), consumer, _idle_ms(p, now), p.deliveries)
                for i, p in group_state.pending.items()
                if p.consumer == consumer
            )
            return [entry for entry, _ in zip(mine, range(count), strict=False)]

    def claim(
        self,
        stream: str,
        group: str,
        consumer: str,
        entries: Sequence[PendingEntry],
        *,
        min_idle_ms: int,
    ) -> list[Delivery]:
        now = time.monotonic()
        with self._lock:
            state, group_state = self._group(stream, group)
            group_state.consumers[consumer] = now
            claimed = []
            for entry in entries:
                entry_id = parse_id(entry.id)
                delivery = self._take(state, group_state, entry_id, consumer, now, min_idle_ms)
                if delivery is not None:
                    claimed.append(delivery)
            return claimed

    def autoclaim(
        self, stream: str, group: str, consumer: str, *, min_idle_ms: int, cursor: str, count: int
    ) -> ClaimPage:
        now = time.monotonic()
        with self._lock:
            state, group_state = self._group(stream, group)
            group_state.consumers[consumer] = now
            start = parse_id(cursor)
            candidates = [i for i in group_state.pending if i >= start]
            claimed: list[Delivery] = []
            dropped: list[str] = []
            # Like Redis, look at no more than ten times COUNT entries per call.
            scanned = candidates[: count * 10]
            for position, entry_id in enumerate(scanned):
                if entry_id not in state.data:
                    del group_state.pending[entry_id]
                    dropped.append(format_id(entry_id))
                    continue
                delivery = self._take(state, group_state, entry_id, consumer, now, min_idle_ms)
                if delivery is not None:
                    claimed.append(delivery)
                if len(claimed) == count:
                    scanned = scanned[: position + 1]
                    break
            rest = candidates[len(scanned) :]
            return ClaimPage(format_id(rest[0]) if rest else "0-0", claimed, dropped)

    @staticmethod
    def _take(
        state: _Stream,
        group_state: _Group,
        entry_id: EntryId,
        consumer: str,
        now: float,
        min_idle_ms: int,
    ) -> Delivery | None:
        pending = group_state.pending.get(entry_id)
        if pending is None:
            return None
        if entry_id not in state.data:  # trimmed away while pending: nothing left to deliver
            del group_state.pending[entry_id]
            return None
        if _idle_ms(pending, now) < min_idle_ms:
            return None
        pending.consumer, pending.delivered_at = consumer, now
        pending.deliveries += 1
        return Delivery(format_id(entry_id), state.data[entry_id], pending.deliveries)

    def ack(self, stream: str, group: str, ids: Sequence[str]) -> int:
        with self._lock:
            _, group_state = self._group(stream, group)
            acked = sum(group_state.pending.pop(parse_id(i), None) is not None for i in ids)
            bucket = throughput_buckets(time.time())[-1]
            group_state.processed[bucket] = group_state.processed.get(bucket, 0) + len(ids)
            return acked

    def dead_letter(
        self, stream: str, group: str, letters: Sequence[DeadLetter], *, max_length: int
    ) -> None:
        with self._lock:
            state, group_state = self._group(stream, group)
            for letter in letters:
                group_state.pending.pop(parse_id(letter.message_id), None)
                state.dead.append(letter)
            group_state.dead_lettered += len(letters)
            while len(state.dead) > max_length:
                state.dead.popleft()

    def dead_letters(self, stream: str, *, count: int) -> list[DeadLetter]:
        with self._lock:
            state = self._streams.get(stream)
            return list(reversed(state.dead))[:count] if state else []

    def status(self, stream: str) -> StreamStatus:
        with self._lock:
            state = self._streams.get(stream) or _Stream()
            groups = tuple(
                self._group_status(state, name, group_state)
                for name, group_state in state.groups.items()
            )
            return StreamStatus(stream, self.name, len(state.ids), len(state.dead), groups)

    @staticmethod
    def _group_status(state: _Stream, name: str, group_state: _Group) -> GroupStatus:
        now, wall = time.monotonic(), time.time()
        per_consumer: dict[str, int] = {}
        for pending in group_state.pending.values():
            per_consumer[pending.consumer] = per_consumer.get(pending.consumer, 0) + 1
        consumers = tuple(
            ConsumerStatus(consumer, per_consumer.get(consumer, 0), int((now - seen) * 1000))
            for consumer, seen in group_state.consumers.items()
        )
        buckets = throughput_buckets(wall)
        processed = sum(group_state.processed.get(bucket, 0) for bucket in buckets)
        for bucket in [b for b in group_state.processed if b < buckets[0]]:
            del group_state.processed[bucket]
        return GroupStatus(
            name=name,
            lag=len(state.ids) - bisect.bisect_right(state.ids, group_state.last_delivered),
            pending=len(group_state.pending),
            dead_letters=group_state.dead_lettered,
            throughput=throughput_rate(processed, wall),
            last_delivered_id=format_id(group_state.last_delivered),
            consumers=consumers,
        )

    def delete(self, stream: str) -> None:
        with self._lock:
            self._streams.pop(stream, None)

    def _group(self, stream: str, group: str) -> tuple[_Stream, _Group]:
        state = self._streams.get(stream)
        group_state = state.groups.get(group) if state else None
        if state is None or group_state is None:
            raise GroupMissing(f"no stream {stream!r} or group {group!r}")
        return state, group_state


def _idle_ms(pending: _Pending, now: float) -> int:
    return int((now - pending.delivered_at) * 1000)
