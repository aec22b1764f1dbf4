"""StreamProcessor: publish events, consume them in batches through consumer groups.

Delivery is at least once, so handlers must be idempotent:

- A cycle hands out one source of messages, in this order: the consumer's own failed messages
  once they waited `retry_delay_ms`; messages other consumers held longer than `claim_idle_ms`
  (XAUTOCLAIM: their consumer died); new messages (XREADGROUP, blocking up to `block_ms`).
- First deliveries go to the handlers as one batch. Redeliveries go one message at a time, so a
  poison message in a failed batch only takes itself to the dead-letter stream.
- Success acknowledges. A failure (an Exception) leaves the messages pending for a retry; on its
  `max_deliveries`-th delivery a message is moved to `<stream>:dead` with the error instead. A
  message handed out more often than that (its consumers kept dying) is dead-lettered unhandled.
- A BaseException (KeyboardInterrupt, SystemExit, a killed worker) acknowledges nothing: the
  messages stay pending on this consumer until it, or another one, takes them up again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import structlog
from django.conf import settings

from . import instruments
from .backend import StreamBackend, parse_id
from .config import StreamConfig
from .handlers import Handler, run_handlers
from .memory import InMemoryStreamBackend
from .messages import (
    check_name,
    check_stream,
    dead_letter_for,
    decode_delivery,
    encode_event,
    overdelivered,
)
from .records import (
    DeadLetter,
    Delivery,
    GroupMissing,
    ProcessingStats,
    StreamMessage,
    StreamStatus,
    StreamUnavailable,
)
from .redis_streams import RedisStreamBackend

logger = structlog.get_logger(__name__)


@dataclass(slots=True)
class _ConsumerState:
    check_own_pending: bool = True  # unknown at start: a restarted consumer has its old ones
    claim_cursor: str = "0-0"
    next_claim_at: float = 0.0  # time.monotonic() of the next XAUTOCLAIM scan


def outage_delay(previous: float) -> float:
    """How long a consumer waits after Redis failed again: doubling from 0.1 s, at most 5 s."""
    return min(max(previous * 2, 0.1), 5.0)


class StreamProcessor:
    """Thread-safe; one instance can drive several consumers, one thread each."""

    def __init__(
        self, config: StreamConfig | None = None, *, backend: StreamBackend | None = None
    ) -> None:
        self.config = config or StreamConfig.from_settings()
        self.backend = backend or build_backend(self.config, settings.REDIS_URL)
        self._handlers: dict[tuple[str, str], list[Handler]] = {}
        self._ready_groups: set[tuple[str, str]] = set()
        self._consumers: dict[tuple[str, str, str], _ConsumerState] = {}
        self._lock = threading.Lock()

    # Publishing

    def publish(self, stream: str, event: Mapping[str, Any]) -> str:
        """Append one event (a JSON object) to `stream`; returns its id."""
        return self.publish_many(stream, [event])[0]

    def publish_many(self, stream: str, events: Iterable[Mapping[str, Any]]) -> list[str]:
        """Append events in one round trip, in order; returns their ids."""
        check_stream(stream)
        data = [encode_event(event) for event in events]
        if not data:
            return []
        with _counting_unavailable("publish"):
            ids = self.backend.publish(stream, data, max_length=self.config.max_length)
        instruments.PUBLISHED.labels(stream).inc(len(ids))
        return ids

    def publish_routed(self, entries: Iterable[tuple[str, Mapping[str, Any]]]) -> list[str]:
        """Append each (stream, event) in one round trip, in order (events of partitioned
        streams, each routed by its key); returns their ids."""
        data = []
        for stream, event in entries:
            check_stream(stream)
            data.append((stream, encode_event(event)))
        if not data:
            return []
        with _counting_unavailable("publish"):
            ids = self.backend.publish_routed(data, max_length=self.config.max_length)
        for stream, _item in data:
            instruments.PUBLISHED.labels(stream).inc()
        return ids

    # Consuming

    def register_handler(self, stream: str, group: str, handler: Handler) -> None:
        """Add a batch handler for the group's messages; several run in registration order.
        No I/O: the group is created on the first read."""
        check_stream(stream)
        check_name("group", group)
        with self._lock:
            self._handlers.setdefault((stream, group), []).append(handler)

    def routes(self) -> list[tuple[str, str]]:
        """The (stream, group) pairs that have handlers."""
        with self._lock:
            return list(self._handlers)

    def ensure_group(self, stream: str, group: str, *, start_id: str = "0") -> None:
        """Create the group unless it exists. "0": it also gets the entries already in the
        stream (the default, so events published before the consumers started are handled);
        "$": only entries published from now on."""
        check_stream(stream)
        check_name("group", group)
        with _counting_unavailable("ensure_group"):
            self.backend.ensure_group(stream, group, start_id=start_id)
        with self._lock:
            self._ready_groups.add((stream, group))

    def process_once(
        self, stream: str, group: str, consumer: str, *, block_ms: int | None = None
    ) -> ProcessingStats:
        """One cycle: fetch up to `batch_size` messages (see the module docstring for which),
        hand them to the handlers, acknowledge or retry or dead-letter. `block_ms` overrides
        how long to wait for new messages when there is nothing else to do."""
        handlers = self._handlers_for(stream, group)
        check_name("consumer", consumer)
        state = self._consumer_state(stream, group, consumer)
        block = self.config.block_ms if block_ms is None else block_ms
        with _counting_unavailable("process"):
            try:
                deliveries, reclaimed = self._fetch(stream, group, consumer, state, block)
            except GroupMissing:  # the stream key was deleted under us: start it afresh
                with self._lock:
                    self._ready_groups.discard((stream, group))
                deliveries, reclaimed = self._fetch(stream, group, consumer, state, block)
            try:
                stats = self._handle(stream, group, consumer, handlers, deliveries)
            except GroupMissing:  # deleted while handling: its pending list went with it
                logger.warning("stream_deleted_while_handling", stream=stream, group=group)
                with self._lock:
                    self._ready_groups.discard((stream, group))
                stats = ProcessingStats(cycles=1, delivered=len(deliveries))
            except BaseException:
                state.check_own_pending = True
                raise
        if stats.failed:
            state.check_own_pending = True
        if reclaimed:
            instruments.RECLAIMED.labels(stream, group).inc(reclaimed)
        return replace(stats, reclaimed=reclaimed)

    def process_many(
        self, streams: Sequence[str], group: str, consumer: str, *, block_ms: int | None = None
    ) -> ProcessingStats:
        """One cycle over several streams of one group (the partitions a consumer owns alone).

        Each stream's own failed messages come first: while a stream has any, its new messages
        wait (a key's events stay in order; a message that keeps failing holds its stream up for
        at most `max_deliveries` retries, then goes to the dead letters). The other streams' new
        messages are read in one XREADGROUP, which blocks up to `block_ms` only when nothing
        else was handled this cycle. No reclaim by idle time: an owner alone reads its stream,
        and `take_over` took what its previous owner held."""
        check_name("consumer", consumer)
        block = self.config.block_ms if block_ms is None else block_ms
        totals, quiet = ProcessingStats(cycles=1), []
        with _counting_unavailable("process"):
            for stream in streams:
                try:
                    retries = self._own_retries_first(stream, group, consumer)
                except GroupMissing:  # the stream key was deleted: recreate it next cycle
                    with self._lock:
                        self._ready_groups.discard((stream, group))
                    continue
                if retries is None:
                    quiet.append(stream)
                else:
                    totals += self._handle_owned(stream, group, consumer, retries)
            if not quiet:
                if not totals.delivered:  # only retries not yet due: wait a little for them
                    time.sleep(min(block, self.config.retry_delay_ms) / 4000)
                return totals
            wait = 0 if totals.delivered else block
            try:
                fresh = self.backend.read_new_many(
                    quiet, group, consumer, count=self.config.batch_size, block_ms=wait
                )
            except GroupMissing:  # a stream key was deleted: recreate the groups next cycle
                with self._lock:
                    self._ready_groups.difference_update((stream, group) for stream in quiet)
                return totals
            for stream, deliveries in fresh.items():
                totals += self._handle_owned(stream, group, consumer, deliveries)
        return totals

    def take_over(self, stream: str, group: str, consumer: str) -> ProcessingStats:
        """Take every message other consumers of the group hold and handle them, oldest first,
        before anything new: the start of a consumer's exclusive ownership of `stream` (a
        partition whose previous owner stopped or died). Each is a redelivery, handled alone."""
        check_name("consumer", consumer)
        totals = ProcessingStats()
        with _counting_unavailable("take_over"):
            self._ensure_ready(stream, group)
            cursor = "0-0"
            taken: list[Delivery] = []
            while True:
                page = self.backend.autoclaim(
                    stream,
                    group,
                    consumer,
                    min_idle_ms=0,
                    cursor=cursor,
                    count=self.config.batch_size,
                )
                taken += page.deliveries
                cursor = page.cursor
                if cursor == "0-0":
                    break
            taken.sort(key=lambda delivery: parse_id(delivery.id))
            if taken:
                totals += self._handle_owned(stream, group, consumer, taken)
                instruments.RECLAIMED.labels(stream, group).inc(len(taken))
        return replace(totals, reclaimed=len(taken))

    def run(
        self,
        stream: str,
        group: str,
        consumer: str,
        *,
        stop_event: threading.Event | None = None,
        max_batches: int | None = None,
        on_cycle: Callable[[], None] | None = None,
    ) -> ProcessingStats:
        """Process until `stop_event` is set (checked between cycles, so the current batch
        finishes; a blocking read returns within `block_ms`) or `max_batches` cycles ran.
        Redis outages are logged and waited out with backoff; returns the totals. `on_cycle`
        is called before every cycle, an idle or failed one too (the `stream` process's
        heartbeat): a loop that stops turning stops calling it."""
        stop = stop_event or threading.Event()
        totals, delay = ProcessingStats(), 0.0
        log = logger.bind(stream=stream, group=group, consumer=consumer)
        log.info("stream_consumer_started")
        while not stop.is_set() and (max_batches is None or totals.cycles < max_batches):
            if on_cycle is not None:
                on_cycle()
            try:
                totals += self.process_once(stream, group, consumer)
                delay = 0.0
            except StreamUnavailable:
                totals += ProcessingStats(cycles=1)
                delay = outage_delay(delay)
                log.warning("stream_unavailable", retry_in_seconds=delay)
                stop.wait(delay)
        log.info("stream_consumer_stopped", processed=totals.processed, failed=totals.failed)
        return totals

    # Status and dead letters

    def status(self, stream: str) -> StreamStatus:
        check_stream(stream)
        with _counting_unavailable("status"):
            status = self.backend.status(stream)
        instruments.LENGTH.labels(stream).set(status.length)
        for group in status.groups:
            instruments.LAG.labels(stream, group.name).set(group.lag)
            instruments.PENDING.labels(stream, group.name).set(group.pending)
        return status

    def status_all(self) -> list[StreamStatus]:
        """Status of every stream that has a registered handler."""
        return [self.status(stream) for stream in dict.fromkeys(s for s, _ in self.routes())]

    def dead_letters(self, stream: str, *, count: int = 100) -> list[DeadLetter]:
        """The newest dead letters of `stream` first."""
        check_stream(stream)
        with _counting_unavailable("dead_letters"):
            return self.backend.dead_letters(stream, count=count)

    def delete_stream(self, stream: str) -> None:
        """Drop the stream with its groups, pending lists, dead letters and counters."""
        check_stream(stream)
        with _counting_unavailable("delete"):
            self.backend.delete(stream)
        with self._lock:
            self._ready_groups = {route for route in self._ready_groups if route[0] != stream}

    # Internals

    def _handlers_for(self, stream: str, group: str) -> tuple[Handler, ...]:
        with self._lock:
            handlers = tuple(self._handlers.get((stream, group), ()))
        if not handlers:
            # Reading without a handler would acknowledge events into the void.
            raise LookupError(f"no handler registered for stream {stream!r}, group {group!r}")
        return handlers

    def _consumer_state(self, stream: str, group: str, consumer: str) -> _ConsumerState:
        with self._lock:
            return self._consumers.setdefault((stream, group, consumer), _ConsumerState())

    def _ensure_ready(self, stream: str, group: str) -> None:
        with self._lock:
            ready = (stream, group) in self._ready_groups
        if not ready:
            self.backend.ensure_group(stream, group, start_id="0")
            with self._lock:
                self._ready_groups.add((stream, group))

    def _own_retries_first(self, stream: str, group: str, consumer: str) -> list[Delivery] | None:
        """None when the consumer holds no failed message of `stream` (it may read new ones);
        else those due for their retry, possibly none yet."""
        self._ensure_ready(stream, group)
        state = self._consumer_state(stream, group, consumer)
        if not state.check_own_pending:
            return None
        pending = self.backend.own_pending(stream, group, consumer, count=self.config.batch_size)
        if not pending:
            state.check_own_pending = False
            return None
        delay = self.config.retry_delay_ms
        due = [entry for entry in pending if entry.idle_ms >= delay]
        return self.backend.claim(stream, group, consumer, due, min_idle_ms=delay)

    def _handle_owned(
        self, stream: str, group: str, consumer: str, deliveries: Sequence[Delivery]
    ) -> ProcessingStats:
        """`_handle` for `process_many` and `take_over`, keeping the consumer's state."""
        handlers = self._handlers_for(stream, group)
        state = self._consumer_state(stream, group, consumer)
        try:
            stats = self._handle(stream, group, consumer, handlers, deliveries, in_order=True)
        except GroupMissing:
            logger.warning("stream_deleted_while_handling", stream=stream, group=group)
            with self._lock:
                self._ready_groups.discard((stream, group))
            return ProcessingStats(delivered=len(deliveries))
        except BaseException:
            state.check_own_pending = True
            raise
        if stats.failed:
            state.check_own_pending = True
        return replace(stats, cycles=0)  # the caller counts its cycle once

    def _fetch(
        self, stream: str, group: str, consumer: str, state: _ConsumerState, block_ms: int
    ) -> tuple[list[Delivery], int]:
        """The messages of this cycle and how many of them were reclaimed from others."""
        self._ensure_ready(stream, group)
        retries = self._own_retries(stream, group, consumer, state)
        if retries:
            return retries, 0
        reclaimed = self._reclaim(stream, group, consumer, state)
        if reclaimed:
            return reclaimed, len(reclaimed)
        count = self.config.batch_size
        new = self.backend.read_new(stream, group, consumer, count=count, block_ms=block_ms)
        return new, 0

    def _own_retries(
        self, stream: str, group: str, consumer: str, state: _ConsumerState
    ) -> list[Delivery]:
        if not state.check_own_pending:
            return []
        delay = self.config.retry_delay_ms
        pending = self.backend.own_pending(stream, group, consumer, count=self.config.batch_size)
        if not pending:
            state.check_own_pending = False
            return []
        due = [entry for entry in pending if entry.idle_ms >= delay]
        return self.backend.claim(stream, group, consumer, due, min_idle_ms=delay)

    def _reclaim(
        self, stream: str, group: str, consumer: str, state: _ConsumerState
    ) -> list[Delivery]:
        """XAUTOCLAIM, one page per cycle; a full scan of the pending list at most every half
        `claim_idle_ms`, so a message waits between one and one and a half idle times."""
        now = time.monotonic()
        if state.claim_cursor == "0-0" and now < state.next_claim_at:
            return []
        page = self.backend.autoclaim(
            stream,
            group,
            consumer,
            min_idle_ms=self.config.claim_idle_ms,
            cursor=state.claim_cursor,
            count=self.config.batch_size,
        )
        state.claim_cursor = page.cursor
        if page.cursor == "0-0":
            state.next_claim_at = now + self.config.claim_idle_ms / 2000
        if page.dropped:
            logger.warning(
                "stream_pending_trimmed", stream=stream, group=group, ids=page.dropped[:20]
            )
        return page.deliveries

    def _handle(
        self,
        stream: str,
        group: str,
        consumer: str,
        handlers: Sequence[Handler],
        deliveries: Sequence[Delivery],
        *,
        in_order: bool = False,
    ) -> ProcessingStats:
        """`in_order`: the first failure stops the cycle, so the messages after it wait for
        its retry rather than overtaking it (a partition's owner keeps each key's order)."""
        if not deliveries:
            return ProcessingStats(cycles=1)
        messages: list[StreamMessage] = []
        doomed: list[DeadLetter] = []
        for delivery in deliveries:
            message = decode_delivery(delivery)
            problem = overdelivered(delivery, self.config.max_deliveries)
            if message is not None and problem is None:
                messages.append(message)
                continue
            error = problem or "the entry holds no JSON object to decode"
            doomed.append(dead_letter_for(delivery, group=group, consumer=consumer, error=error))
        self._dead_letter(stream, group, doomed)
        stats = ProcessingStats(cycles=1, delivered=len(deliveries), dead_lettered=len(doomed))
        fresh = [message for message in messages if message.deliveries == 1]
        batches = [fresh] if fresh else []
        batches += [[message] for message in messages if message.deliveries > 1]
        for batch in batches:
            outcome = self._handle_batch(stream, group, consumer, handlers, batch)
            stats += outcome
            if in_order and outcome.failed:
                break
        return stats

    def _handle_batch(
        self,
        stream: str,
        group: str,
        consumer: str,
        handlers: Sequence[Handler],
        batch: Sequence[StreamMessage],
    ) -> ProcessingStats:
        error = run_handlers(stream, group, handlers, tuple(batch))
        if error is None:
            self.backend.ack(stream, group, [message.id for message in batch])
            instruments.PROCESSED.labels(stream, group).inc(len(batch))
            return ProcessingStats(processed=len(batch))
        spent = [m for m in batch if m.deliveries >= self.config.max_deliveries]
        letters = [dead_letter_for(m, group=group, consumer=consumer, error=error) for m in spent]
        self._dead_letter(stream, group, letters)
        instruments.FAILED.labels(stream, group).inc(len(batch))
        return ProcessingStats(failed=len(batch) - len(spent), dead_lettered=len(spent))

    def _dead_letter(self, stream: str, group: str, letters: Sequence[DeadLetter]) -> None:
        if not letters:
            return
        self.backend.dead_letter(stream, group, letters, max_length=self.config.max_length)
        instruments.DEAD_LETTERED.labels(stream, group).inc(len(letters))
        for letter in letters:
            logger.error(
                "stream_message_dead_lettered",
                stream=stream,
                group=group,
                message_id=letter.message_id,
                deliveries=letter.deliveries,
                error=letter.error,
            )


@contextmanager
def _counting_unavailable(operation: str) -> Iterator[None]:
    try:
        yield
    except StreamUnavailable:
        instruments.UNAVAILABLE.labels(operation).inc()
        raise


def build_backend(config: StreamConfig, redis_url: str | None) -> StreamBackend:
    """Redis Streams when a Redis URL is configured, the in-process store otherwise."""
    if redis_url:
        return RedisStreamBackend.from_url(
            redis_url, key_prefix=config.key_prefix, block_ms=config.block_ms
        )
    return InMemoryStreamBackend()
