"""Where tracked events wait for the flush: a Redis list, or this process's memory.

Both buffers keep the same three places: the *buffer* (new events, appended at the tail), one
*processing batch* per claimed batch id (events moved out of the buffer atomically, so an event is
always in exactly one place), and the set of batch ids still being processed. A batch leaves the
processing set only once the flush has committed it (`release`); whatever is left there after a
crash is re-read by the next flush, which recognises batches it already committed.
"""

from __future__ import annotations

import threading
import time
import uuid
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, ClassVar

import redis
import structlog
from django.conf import settings

logger = structlog.get_logger(__name__)

_SOCKET_TIMEOUT = 1.0
# After a failure Redis is left alone this long, so a Redis outage costs requests nothing.
_RETRY_AFTER_SECONDS = 2.0


class BufferUnavailable(Exception):
    """The buffer's store cannot be reached; the caller counts and drops the event."""


class EventBuffer(ABC):
    backend: ClassVar[str]

    @abstractmethod
    def push(self, record: str) -> int:
        """Appends one encoded event; returns how many old events were dropped to stay bounded."""

    @abstractmethod
    def size(self) -> int:
        """Events waiting in the buffer (not counting claimed batches)."""

    @abstractmethod
    def claim(self, batch_id: str, limit: int) -> list[str]:
        """Moves up to `limit` of the oldest events into processing batch `batch_id`, atomically;
        an empty buffer claims nothing and registers no batch."""

    @abstractmethod
    def pending_batches(self) -> list[str]:
        """Ids of claimed batches not yet released."""

    @abstractmethod
    def read_batch(self, batch_id: str) -> list[str]: ...

    @abstractmethod
    def release(self, batch_id: str) -> None:
        """Forgets a batch whose events are committed (or were already)."""

    @abstractmethod
    def flush_lock(self, ttl_seconds: int) -> AbstractContextManager[bool]:
        """Held by one flush at a time; yields False when another flush holds it. In Redis it
        expires after `ttl_seconds`, longer than the flush task's hard time limit."""

    @abstractmethod
    def clear(self) -> None:
        """Drops everything: buffer, batches, lock (for tests and operators)."""


class MemoryEventBuffer(EventBuffer):
    """The embedded default. Only this process sees it, so only a flush in this process (an
    eager task, the business report) drains it."""

    backend = "memory"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flushing = threading.Lock()
        self._events: deque[str] = deque()
        self._batches: dict[str, list[str]] = {}

    def push(self, record: str) -> int:
        limit: int = settings.METRICS_BUFFER_MAX_EVENTS
        with self._lock:
            self._events.append(record)
            dropped = max(0, len(self._events) - limit)
            for _ in range(dropped):
                self._events.popleft()
        return dropped

    def size(self) -> int:
        return len(self._events)

    def claim(self, batch_id: str, limit: int) -> list[str]:
        with self._lock:
            taken = [self._events.popleft() for _ in range(min(limit, len(self._events)))]
            if taken:
                self._batches[batch_id] = taken
        return list(taken)

    def pending_batches(self) -> list[str]:
        with self._lock:
            return list(self._batches)

    def read_batch(self, batch_id: str) -> list[str]:
        with self._lock:
            return list(self._batches.get(batch_id, []))

    def release(self, batch_id: str) -> None:
        with self._lock:
            self._batches.pop(batch_id, None)

    @contextmanager
    def flush_lock(self, ttl_seconds: int) -> Iterator[bool]:
        acquired = self._flushing.acquire(blocking=False)
        try:
            yield acquired
        finally:
            if acquired:
                self._flushing.release()

    def clear(self) -> None:
        with self._lock:
            self._events.clear()
            self._batches.clear()


# KEYS: buffer, batch list, batch set. ARGV: limit, batch id. Moves the oldest `limit` events in
# one step: a crash leaves them either in the buffer or in the registered batch, never in both.
_CLAIM = """
local items = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
if #items == 0 then return 0 end
for i = 1, #items, 1000 do
  redis.call('RPUSH', KEYS[2], unpack(items, i, math.min(i + 999, #items)))
end
redis.call('LTRIM', KEYS[1], #items, -1)
redis.call('SADD', KEYS[3], ARGV[2])
return #items
"""

# KEYS: lock. ARGV: token. Deletes the lock only if this flush still owns it.
_UNLOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class RedisEventBuffer(EventBuffer):
    """Shared by every process: web processes push, the Celery flush claims."""

    backend = "redis"

    def __init__(self, url: str, prefix: str) -> None:
        self._client: redis.Redis = redis.Redis.from_url(
            url,
            decode_responses=True,
            socket_timeout=_SOCKET_TIMEOUT,
            socket_connect_timeout=_SOCKET_TIMEOUT,
            health_check_interval=30,
        )
        # One hash tag for every key: the claim script touches several, which Redis Cluster
        # allows only within one slot.
        tag = f"{{{prefix}}}"
        self._key = f"{tag}:events"
        self._batches_key = f"{tag}:batches"
        self._lock_key = f"{tag}:flush-lock"
        self._batch_prefix = f"{tag}:batch:"
        self._claim = self._client.register_script(_CLAIM)
        self._unlock = self._client.register_script(_UNLOCK)
        self._down_until = 0.0

    def push(self, record: str) -> int:
        limit: int = settings.METRICS_BUFFER_MAX_EVENTS
        length = int(self._call(self._client.rpush, self._key, record))
        if length <= limit:
            return 0
        self._call(self._client.ltrim, self._key, -limit, -1)
        return length - limit

    def size(self) -> int:
        return int(self._call(self._client.llen, self._key))

    def claim(self, batch_id: str, limit: int) -> list[str]:
        keys = [self._key, self._batch_key(batch_id), self._batches_key]
        if not int(self._call(self._claim, keys=keys, args=[limit, batch_id])):
            return []
        return self.read_batch(batch_id)

    def pending_batches(self) -> list[str]:
        return sorted(self._call(self._client.smembers, self._batches_key))

    def read_batch(self, batch_id: str) -> list[str]:
        return list(self._call(self._client.lrange, self._batch_key(batch_id), 0, -1))

    def release(self, batch_id: str) -> None:
        pipe = self._client.pipeline(transaction=True)
        pipe.delete(self._batch_key(batch_id))
        pipe.srem(self._batches_key, batch_id)
        self._call(pipe.execute)

    @contextmanager
    def flush_lock(self, ttl_seconds: int) -> Iterator[bool]:
        token = uuid.uuid4().hex
        acquired = bool(
            self._call(self._client.set, self._lock_key, token, nx=True, ex=ttl_seconds)
        )
        try:
            yield acquired
        finally:
            if acquired:
                self._call(self._unlock, keys=[self._lock_key], args=[token])

    def clear(self) -> None:
        batch_keys = [self._batch_key(b) for b in self.pending_batches()]
        self._call(self._client.delete, self._key, self._batches_key, self._lock_key, *batch_keys)

    def _batch_key(self, batch_id: str) -> str:
        return f"{self._batch_prefix}{batch_id}"

    def _call(self, command: Any, *args: Any, **kwargs: Any) -> Any:
        """Runs one Redis command; any failure (and every call for a moment after one) is
        BufferUnavailable, logged at most once per retry window."""
        if time.monotonic() < self._down_until:
            raise BufferUnavailable("redis marked down")
        try:
            return command(*args, **kwargs)
        except (redis.RedisError, OSError) as error:
            self._down_until = time.monotonic() + _RETRY_AFTER_SECONDS
            logger.warning("metrics_buffer_unavailable", error=type(error).__name__)
            raise BufferUnavailable(str(error)) from error


_memory = MemoryEventBuffer()
_redis_buffers: dict[tuple[str, str], RedisEventBuffer] = {}
_redis_lock = threading.Lock()


def event_buffer() -> EventBuffer:
    """The buffer the settings name now (read per call, so tests can switch)."""
    url: str | None = settings.METRICS_REDIS_URL
    if not url:
        return _memory
    key = (url, settings.METRICS_REDIS_KEY_PREFIX)
    with _redis_lock:
        if key not in _redis_buffers:
            _redis_buffers[key] = RedisEventBuffer(*key)
        return _redis_buffers[key]
