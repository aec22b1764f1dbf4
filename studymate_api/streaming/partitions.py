"""Partitioned streams: one logical stream split by key into `partitions` Redis streams, each
read by one process at a time under a lease, so any number of processes share the work and the
events of one key (a learner) stay in order.

Why order holds: a key always lands in the same partition (`partition_of`); a partition has one
owner at a time (its lease); the owner reads it through the group in id order, and on taking it
over it first handles, oldest first, every message the previous owner read without
acknowledging (`StreamProcessor.take_over`) before reading anything new. Consumer-group members
sharing one stream (XREADGROUP by several consumers, XAUTOCLAIM after a crash) would not keep
it: two consumers would fold one learner's consecutive batches at once, and a reclaimed message
would be handled after newer ones of the same learner.

Leases (Redis, `RedisLeases`): `<prefix>{<stream>:leases}:<n>` holds the owner's token, set NX
with a TTL (`lease_ms`) and renewed every third of it; `<prefix>{<stream>:leases}:members` is a
sorted set of live processes scored by when their membership expires. One Lua script per beat
renews the process's membership, counts the live processes, works out this process's share
(partitions // live, one more for the first partitions % live processes by name: the shares add
up to the partitions and none exceeds ceil(partitions / live)), keeps that many of its leases
(renewing them, giving back the rest) and takes unowned ones up to its share. A process that
dies stops renewing: its leases expire after `lease_ms` and the survivors take them at their
next beat (at most `lease_ms` * 4/3 after the last renewal). The keys share one hash tag, so
the script runs on one Redis Cluster shard.

Fencing: a process acts on a partition (stores an analysis, acknowledges) only while its lease
is certainly still valid: `holds` answers from the time of the last successful beat (the lease
was renewed for `lease_ms` after the beat was sent; the process trusts it for two thirds of
that), without a round trip. A process paused longer than that stops acting on the partition.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

import redis
import structlog

from .backend import parse_id
from .processor import StreamProcessor, outage_delay
from .records import (
    ConsumerStatus,
    GroupStatus,
    ProcessingStats,
    StreamStatus,
    StreamUnavailable,
)
from .redis_streams import RedisStreamBackend

logger = structlog.get_logger(__name__)


def partition_of(key: int, partitions: int) -> int:
    """The partition of an integer key (a learner's id): stable in every process, unlike
    Python's salted `hash` of a string; consecutive ids spread evenly."""
    return key % partitions


def partition_stream(stream: str, index: int) -> str:
    """The stream of one partition. The braces are a Redis Cluster hash tag: the partition's
    stream and the keys kept beside it (dead letters, counters) live on one shard, and the
    partitions spread over the shards."""
    return f"{stream}:{{p{index}}}"


def partition_streams(stream: str, partitions: int) -> list[str]:
    return [partition_stream(stream, index) for index in range(partitions)]


class Leases(Protocol):
    partitions: int

    def beat(self) -> list[int]:
        """Renew, balance and claim; the partitions this process holds now, ascending."""
        ...

    def holds(self, index: int) -> bool:
        """Whether this process may still act on the partition."""
        ...

    def release(self) -> None:
        """Give every lease back (a clean stop): the others take them at their next beat."""


class AllPartitions:
    """The only consumer there is (the in-process stream of the embedded default)."""

    def __init__(self, partitions: int) -> None:
        self.partitions = partitions

    def beat(self) -> list[int]:
        return list(range(self.partitions))

    def holds(self, index: int) -> bool:
        return 0 <= index < self.partitions

    def release(self) -> None:
        return None


# KEYS[1]: the members set; KEYS[2..]: the leases, partition 0 first.
# ARGV: owner token, lease ms, 1 to stay a member (0: leave and give everything back).
_BEAT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local owner, ttl, stay = ARGV[1], tonumber(ARGV[2]), ARGV[3] == '1'
local partitions = #KEYS - 1
if stay then
  redis.call('ZADD', KEYS[1], now + ttl, owner)
else
  redis.call('ZREM', KEYS[1], owner)
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('PEXPIRE', KEYS[1], ttl * 4)
local members = redis.call('ZRANGE', KEYS[1], 0, -1)
local live = #members
local share = 0
if stay then
  -- Shares that add up to the partitions: each its floor, one more for the first
  -- (partitions % live) members by name (a stable order: scores change every beat).
  table.sort(members)
  local rank = 0
  for i, member in ipairs(members) do
    if member == owner then rank = i - 1 end
  end
  share = math.floor(partitions / live)
  if rank < partitions % live then share = share + 1 end
end
local held, free = {}, {}
for i = 2, #KEYS do
  local current = redis.call('GET', KEYS[i])
  if current == owner then
    if #held < share then
      redis.call('PEXPIRE', KEYS[i], ttl)
      table.insert(held, i - 2)
    else
      redis.call('DEL', KEYS[i])
    end
  elseif not current then
    table.insert(free, i)
  end
end
for _, i in ipairs(free) do
  if #held >= share then break end
  redis.call('SET', KEYS[i], owner, 'PX', ttl)
  table.insert(held, i - 2)
end
table.sort(held)
return {held, live}
"""


class RedisLeases:
    """Leases of a partitioned stream's partitions in Redis (see the module docstring)."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        key_prefix: str,
        stream: str,
        partitions: int,
        owner: str,
        lease_ms: int,
    ) -> None:
        self.partitions = partitions
        self.owner = f"{owner}:{secrets.token_hex(4)}"  # a restarted process is a new owner
        self.lease_ms = lease_ms
        base = f"{key_prefix}{{{stream}:leases}}"
        self._keys = [f"{base}:members", *(f"{base}:{index}" for index in range(partitions))]
        self._script = client.register_script(_BEAT)
        self._held: frozenset[int] = frozenset()
        self._valid_until = 0.0  # time.monotonic()
        self.live = 0  # processes sharing the partitions, as of the last beat
        self._lock = threading.Lock()

    def beat(self) -> list[int]:
        sent = time.monotonic()
        with _unavailable():
            held, live = self._call(stay=True)
        with self._lock:
            self._held = frozenset(held)
            self._valid_until = sent + self.lease_ms * 2 / 3000
        self.live = live
        return held

    def holds(self, index: int) -> bool:
        with self._lock:
            return index in self._held and time.monotonic() < self._valid_until

    def release(self) -> None:
        with self._lock:
            self._held, self._valid_until = frozenset(), 0.0
        try:
            with _unavailable():
                self._call(stay=False)
        except StreamUnavailable:  # they expire on their own within lease_ms
            logger.warning("stream_leases_not_released", owner=self.owner)

    def _call(self, *, stay: bool) -> tuple[list[int], int]:
        reply: Any = self._script(keys=self._keys, args=[self.owner, self.lease_ms, int(stay)])
        held, live = reply
        return [int(index) for index in held], int(live)


def leases_for(processor: StreamProcessor, stream: str, owner: str) -> Leases:
    """Redis leases when the processor's streams are in Redis, else the only consumer."""
    config = processor.config
    backend = processor.backend
    if isinstance(backend, RedisStreamBackend):
        return RedisLeases(
            backend.client,
            key_prefix=config.key_prefix,
            stream=stream,
            partitions=config.partitions,
            owner=owner,
            lease_ms=config.lease_ms,
        )
    return AllPartitions(config.partitions)


class PartitionedConsumer:
    """Runs one process's share of a partitioned stream: beats its leases every third of
    `lease_ms`, takes over the partitions it gains, reads the ones it holds."""

    def __init__(
        self,
        processor: StreamProcessor,
        stream: str,
        group: str,
        consumer: str,
        leases: Leases,
    ) -> None:
        self.processor = processor
        self.group = group
        self.consumer = consumer
        self.leases = leases
        self.streams = partition_streams(stream, leases.partitions)
        self.held: list[int] = []
        self._beat_every = processor.config.lease_ms / 3000

    def run(
        self,
        *,
        stop_event: threading.Event | None = None,
        on_cycle: Callable[[], None] | None = None,
    ) -> ProcessingStats:
        """Until `stop_event` is set (the current cycle finishes), then gives the leases back.
        Redis outages are waited out with backoff, as `StreamProcessor.run` does."""
        stop = stop_event or threading.Event()
        totals, delay, next_beat = ProcessingStats(), 0.0, 0.0
        log = logger.bind(group=self.group, consumer=self.consumer)
        log.info("stream_partitions_consumer_started", partitions=len(self.streams))
        try:
            while not stop.is_set():
                if on_cycle is not None:
                    on_cycle()
                try:
                    if time.monotonic() >= next_beat:
                        totals += self._beat(log)
                        next_beat = time.monotonic() + self._beat_every
                    totals += self._cycle(stop, next_beat)
                    delay = 0.0
                except StreamUnavailable:
                    totals += ProcessingStats(cycles=1)
                    delay = outage_delay(delay)
                    log.warning("stream_unavailable", retry_in_seconds=delay)
                    stop.wait(delay)
        finally:
            self.leases.release()
        log.info("stream_partitions_consumer_stopped", processed=totals.processed)
        return totals

    def _beat(self, log: Any) -> ProcessingStats:
        held = self.leases.beat()
        gained = sorted(set(held) - set(self.held))
        lost = sorted(set(self.held) - set(held))
        if gained or lost:
            log.info("stream_partitions_moved", gained=gained, lost=lost, held=held)
        self.held = held
        totals = ProcessingStats()
        for index in gained:
            totals += self.processor.take_over(self.streams[index], self.group, self.consumer)
        return totals

    def _cycle(self, stop: threading.Event, next_beat: float) -> ProcessingStats:
        streams = [self.streams[index] for index in self.held if self.leases.holds(index)]
        until_beat = max(0.0, next_beat - time.monotonic())
        if not streams:
            stop.wait(until_beat)
            return ProcessingStats(cycles=1)
        block = min(self.processor.config.block_ms, int(until_beat * 1000))
        return self.processor.process_many(streams, self.group, self.consumer, block_ms=block)


@contextmanager
def _unavailable() -> Iterator[None]:
    try:
        yield
    except (redis.ConnectionError, redis.TimeoutError) as error:
        raise StreamUnavailable() from error


class PartitionLost(Exception):
    """This process no longer holds the partition: it must not act on the batch (left pending
    for the new owner, who takes it over)."""


def merged_status(stream: str, statuses: Sequence[StreamStatus]) -> StreamStatus:
    """One status for a partitioned stream: sums over its partitions (lag, pending, length,
    dead letters, throughput), a consumer's pending summed and its idle time the least."""
    groups: dict[str, list[GroupStatus]] = {}
    for status in statuses:
        for group in status.groups:
            groups.setdefault(group.name, []).append(group)
    merged = []
    for name, parts in groups.items():
        consumers: dict[str, ConsumerStatus] = {}
        for part in parts:
            for one in part.consumers:
                seen = consumers.get(one.name)
                if seen is not None:
                    pending, idle = seen.pending + one.pending, min(seen.idle_ms, one.idle_ms)
                    one = ConsumerStatus(one.name, pending, idle)
                consumers[one.name] = one
        merged.append(
            GroupStatus(
                name=name,
                lag=sum(part.lag for part in parts),
                pending=sum(part.pending for part in parts),
                dead_letters=sum(part.dead_letters for part in parts),
                throughput=sum(part.throughput for part in parts),
                last_delivered_id=max(
                    (part.last_delivered_id for part in parts), key=parse_id, default="0-0"
                ),
                consumers=tuple(consumers.values()),
            )
        )
    return StreamStatus(
        stream=stream,
        backend=statuses[0].backend if statuses else "",
        length=sum(status.length for status in statuses),
        dead_letters=sum(status.dead_letters for status in statuses),
        groups=tuple(merged),
    )
