"""The Redis backend: Redis Streams and consumer groups (Redis 7: XINFO GROUPS reports lag).

Keys, under the configured prefix: `<stream>` (the stream), `<stream>:dead` (dead letters),
`<stream>:dead-counts` (hash: group -> dead letters ever) and
`<stream>:processed:<group>:<bucket>` (throughput counters that expire after a minute).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import redis
from redis.typing import EncodableT, FieldT

from .backend import (
    THROUGHPUT_BUCKET_SECONDS,
    THROUGHPUT_WINDOW_SECONDS,
    parse_id,
    throughput_buckets,
    throughput_rate,
)
from .records import (
    ClaimPage,
    ConsumerStatus,
    DeadLetter,
    Delivery,
    GroupMissing,
    GroupStatus,
    PendingEntry,
    StreamStatus,
    StreamUnavailable,
)

_DATA = "data"


class RedisStreamBackend:
    name = "redis"

    def __init__(self, client: redis.Redis, *, key_prefix: str) -> None:
        self._redis = client
        self._prefix = key_prefix

    @classmethod
    def from_url(cls, url: str, *, key_prefix: str, block_ms: int) -> RedisStreamBackend:
        # The socket timeout must outlast a blocking XREADGROUP, or every idle read would fail.
        client = redis.Redis.from_url(
            url,
            decode_responses=True,
            socket_connect_timeout=2,
            socket_timeout=block_ms / 1000 + 5,
            health_check_interval=30,
        )
        return cls(client, key_prefix=key_prefix)

    @property
    def client(self) -> redis.Redis:
        return self._redis

    def key(self, stream: str) -> str:
        return f"{self._prefix}{stream}"

    def publish(self, stream: str, data: Sequence[str], *, max_length: int) -> list[str]:
        with _unavailable_on_error():
            pipe = self._redis.pipeline(transaction=False)
            for item in data:
                pipe.xadd(self.key(stream), {_DATA: item}, maxlen=max_length, approximate=True)
            return [str(entry_id) for entry_id in pipe.execute()]

    def publish_routed(self, entries: Sequence[tuple[str, str]], *, max_length: int) -> list[str]:
        with _unavailable_on_error():
            pipe = self._redis.pipeline(transaction=False)
            for stream, item in entries:
                pipe.xadd(self.key(stream), {_DATA: item}, maxlen=max_length, approximate=True)
            return [str(entry_id) for entry_id in pipe.execute()]

    def ensure_group(self, stream: str, group: str, *, start_id: str) -> None:
        with _unavailable_on_error():
            try:
                self._redis.xgroup_create(self.key(stream), group, id=start_id, mkstream=True)
            except redis.ResponseError as error:
                if not str(error).startswith("BUSYGROUP"):
                    raise

    def read_new(
        self, stream: str, group: str, consumer: str, *, count: int, block_ms: int
    ) -> list[Delivery]:
        with _unavailable_on_error():
            reply: Any = self._redis.xreadgroup(
                group, consumer, {self.key(stream): ">"}, count=count, block=block_ms or None
            )
        entries = reply[0][1] if reply else []
        return [Delivery(entry_id, _data(fields), 1) for entry_id, fields in entries]

    def read_new_many(
        self, streams: Sequence[str], group: str, consumer: str, *, count: int, block_ms: int
    ) -> dict[str, list[Delivery]]:
        if not streams:
            return {}
        names = {self.key(stream): stream for stream in streams}
        with _unavailable_on_error():
            reply: Any = self._redis.xreadgroup(
                group, consumer, dict.fromkeys(names, ">"), count=count, block=block_ms or None
            )
        return {
            names[str(key)]: [Delivery(entry_id, _data(fields), 1) for entry_id, fields in entries]
            for key, entries in reply or []
            if entries
        }

    def own_pending(
        self, stream: str, group: str, consumer: str, *, count: int
    ) -> list[PendingEntry]:
        with _unavailable_on_error():
            rows = self._redis.xpending_range(self.key(stream), group, "-", "+", count, consumer)
        return [
            PendingEntry(
                str(row["message_id"]),
                str(row["consumer"]),
                int(row["time_since_delivered"]),
                int(row["times_delivered"]),
            )
            for row in rows
        ]

    def claim(
        self,
        stream: str,
        group: str,
        consumer: str,
        entries: Sequence[PendingEntry],
        *,
        min_idle_ms: int,
    ) -> list[Delivery]:
        if not entries:
            return []
        counts = {entry.id: entry.deliveries for entry in entries}
        with _unavailable_on_error():
            claimed: Any = self._redis.xclaim(
                self.key(stream), group, consumer, min_idle_ms, list(counts)
            )
        # XCLAIM skips entries that are no longer idle and drops trimmed ones from the pending
        # list; each claimed entry was delivered once more than XPENDING said.
        return [
            Delivery(entry_id, _data(fields), counts[entry_id] + 1)
            for entry_id, fields in claimed
            if fields is not None
        ]

    def autoclaim(
        self, stream: str, group: str, consumer: str, *, min_idle_ms: int, cursor: str, count: int
    ) -> ClaimPage:
        key = self.key(stream)
        with _unavailable_on_error():
            reply: Any = self._redis.xautoclaim(key, group, consumer, min_idle_ms, cursor, count)
            next_cursor, entries, dropped = reply[0], reply[1], reply[2] if len(reply) > 2 else []
            counts = self._delivery_counts(key, group, [entry_id for entry_id, _ in entries])
        deliveries = [
            Delivery(entry_id, _data(fields), counts.get(entry_id, 1))
            for entry_id, fields in entries
        ]
        return ClaimPage(str(next_cursor), deliveries, [str(i) for i in dropped])

    def _delivery_counts(self, key: str, group: str, ids: Sequence[str]) -> dict[str, int]:
        """XAUTOCLAIM returns no delivery counts; one pipelined XPENDING per id does."""
        if not ids:
            return {}
        pipe = self._redis.pipeline(transaction=False)
        for entry_id in ids:
            pipe.xpending_range(key, group, entry_id, entry_id, 1)
        rows = [row for reply in pipe.execute() for row in reply]
        return {str(row["message_id"]): int(row["times_delivered"]) for row in rows}

    def ack(self, stream: str, group: str, ids: Sequence[str]) -> int:
        if not ids:
            return 0
        counter = self._processed_key(stream, group, throughput_buckets(time.time())[-1])
        with _unavailable_on_error():
            pipe = self._redis.pipeline(transaction=False)
            pipe.xack(self.key(stream), group, *ids)
            pipe.incrby(counter, len(ids))
            pipe.expire(counter, THROUGHPUT_WINDOW_SECONDS + 2 * THROUGHPUT_BUCKET_SECONDS)
            return int(pipe.execute()[0])

    def dead_letter(
        self, stream: str, group: str, letters: Sequence[DeadLetter], *, max_length: int
    ) -> None:
        if not letters:
            return
        key = self.key(stream)
        with _unavailable_on_error():
            pipe = self._redis.pipeline(transaction=True)
            for letter in letters:
                pipe.xadd(f"{key}:dead", _letter_fields(letter), maxlen=max_length)
            pipe.xack(key, group, *(letter.message_id for letter in letters))
            pipe.hincrby(f"{key}:dead-counts", group, len(letters))
            pipe.execute()

    def dead_letters(self, stream: str, *, count: int) -> list[DeadLetter]:
        with _unavailable_on_error():
            entries: Any = self._redis.xrevrange(f"{self.key(stream)}:dead", count=count)
        return [_letter(fields) for _, fields in entries]

    def status(self, stream: str) -> StreamStatus:
        key = self.key(stream)
        with _unavailable_on_error():
            pipe = self._redis.pipeline(transaction=False)
            pipe.xinfo_stream(key)
            pipe.xinfo_groups(key)
            pipe.xlen(f"{key}:dead")
            pipe.hgetall(f"{key}:dead-counts")
            info, groups, dead_length, dead_counts = pipe.execute(raise_on_error=False)
            if isinstance(info, redis.ResponseError):  # no such key: nothing published yet
                return StreamStatus(stream, self.name, 0, 0, ())
            length = int(info["length"])
            first = info["first-entry"][0] if info.get("first-entry") else None
            group_status = tuple(
                self._group_status(stream, group, length, first, dead_counts) for group in groups
            )
        return StreamStatus(stream, self.name, length, int(dead_length), group_status)

    def _group_status(
        self,
        stream: str,
        group: dict[str, Any],
        length: int,
        first_id: str | None,
        dead_counts: dict[str, str],
    ) -> GroupStatus:
        name = str(group["name"])
        consumers: Any = self._redis.xinfo_consumers(self.key(stream), name)
        buckets = throughput_buckets(now := time.time())
        counters = self._redis.mget([self._processed_key(stream, name, b) for b in buckets])
        return GroupStatus(
            name=name,
            lag=self._lag(stream, group, length, first_id),
            pending=int(group["pending"]),
            dead_letters=int(dead_counts.get(name, 0)),
            throughput=throughput_rate(sum(int(c or 0) for c in counters), now),
            last_delivered_id=str(group["last-delivered-id"]),
            consumers=tuple(
                ConsumerStatus(str(c["name"]), int(c["pending"]), int(c["idle"])) for c in consumers
            ),
        )

    def _lag(self, stream: str, group: dict[str, Any], length: int, first_id: str | None) -> int:
        """Entries of the stream the group has not been handed yet.

        Redis counts `entries-added - entries-read`, which includes entries trimmed away before
        the group read them; when the group is behind the first entry, all of the stream is lag.
        """
        last_delivered = str(group["last-delivered-id"])
        if length == 0 or first_id is None:
            return 0
        if parse_id(last_delivered) < parse_id(first_id):
            return length
        if group.get("lag") is not None:
            return min(int(group["lag"]), length)
        return self._count_after(stream, last_delivered)  # Redis cannot tell (deleted entries)

    def _count_after(self, stream: str, entry_id: str) -> int:
        total, start = 0, f"({entry_id}"
        while True:
            ids: Any = self._redis.xrange(self.key(stream), min=start, count=1000)
            total += len(ids)
            if len(ids) < 1000:
                return total
            start = f"({ids[-1][0]}"

    def delete(self, stream: str) -> None:
        key = self.key(stream)
        with _unavailable_on_error():
            counters = list(self._redis.scan_iter(match=f"{key}:processed:*", count=500))
            self._redis.delete(key, f"{key}:dead", f"{key}:dead-counts", *counters)

    def _processed_key(self, stream: str, group: str, bucket: int) -> str:
        return f"{self.key(stream)}:processed:{group}:{bucket}"


@contextmanager
def _unavailable_on_error() -> Iterator[None]:
    try:
        yield
    except redis.ResponseError as error:
        # NOGROUP: no such group or key; UNBLOCKED: the key was deleted during a blocking read.
        if str(error).startswith(("NOGROUP", "UNBLOCKED")):
            raise GroupMissing(str(error)) from error
        raise
    except (redis.ConnectionError, redis.TimeoutError) as error:
        raise StreamUnavailable() from error


def _data(fields: dict[str, str] | None) -> str | None:
    return fields.get(_DATA) if fields else None


def _letter_fields(
    letter: DeadLetter,
) -> dict[FieldT, EncodableT]:
    fields: dict[FieldT, EncodableT] = {
        "id": letter.message_id,
        "group": letter.group,
        "consumer": letter.consumer,
        "deliveries": letter.deliveries,
        "error": letter.error,
        "dead_at": letter.dead_at,
    }
    if letter.data is not None:
        fields[_DATA] = letter.data
    return fields


def _letter(fields: dict[str, str]) -> DeadLetter:
    return DeadLetter(
        message_id=fields.get("id", ""),
        group=fields.get("group", ""),
        consumer=fields.get("consumer", ""),
        deliveries=int(fields.get("deliveries", 0)),
        error=fields.get("error", ""),
        data=fields.get(_DATA),
        dead_at=fields.get("dead_at", ""),
    )


def is_reachable(url: str) -> bool:
    """Whether a Redis server answers PING at `url` within a second (for the bench and tests)."""
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()
