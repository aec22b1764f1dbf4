"""Buffered events into the aggregate tables, each event counted exactly once.

A flush repeats three steps, each public so tests and operators can drive them one by one:

1. `claim_batch`: the oldest events move out of the buffer into a new processing batch with a
   fresh id, in one atomic buffer operation.
2. `apply_batch`: in ONE database transaction, insert the batch's `ProcessedEventBatch` marker
   (unique by batch id) and add the batch's counts to the aggregates.
3. `release_batch`: forget the processing batch.

A crash between 1 and 2 leaves the batch pending and unmarked: the next flush applies it. A crash
between 2 and 3 leaves it pending and marked: the next flush finds the marker, adds nothing and
releases it. One flush runs at a time (the buffer's flush lock); the marker alone already keeps
two concurrent applies of one batch from both counting, as the second insert of the marker fails.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, cast

import structlog
from django.conf import settings
from django.db import IntegrityError, connections, models, router, transaction
from django.utils import timezone

from studymate_api.core.models import (
    DailyActiveUser,
    DailyEventCount,
    HourlyEventCount,
    ProcessedEventBatch,
)

from .buffer import event_buffer
from .events import EventRecord
from .instruments import EVENT_BATCHES, EVENT_FLUSH_DURATION, EVENTS_DROPPED, EVENTS_FLUSHED

logger = structlog.get_logger(__name__)

_ROWS_PER_STATEMENT = 500


@dataclass(frozen=True)
class EventBatch:
    id: str
    records: tuple[str, ...]


@dataclass
class FlushResult:
    batches: int = 0  # batches applied now
    events: int = 0  # events in them
    duplicates: int = 0  # pending batches found already applied (crash after commit)
    recovered: int = 0  # pending batches left by an interrupted flush
    locked_out: bool = False  # another flush was running; this one did nothing

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def claim_batch(*, limit: int | None = None) -> EventBatch | None:
    """Step 1. None when the buffer is empty."""
    batch_id = uuid.uuid4().hex
    records = event_buffer().claim(batch_id, limit or settings.METRICS_FLUSH_BATCH_SIZE)
    return EventBatch(batch_id, tuple(records)) if records else None


def pending_batches(*, limit: int | None = None) -> list[EventBatch]:
    """Claimed batches not yet released: in flight, or left behind by a crash."""
    buffer = event_buffer()
    ids = buffer.pending_batches()[:limit]
    return [EventBatch(b, tuple(buffer.read_batch(b))) for b in ids]


def apply_batch(batch: EventBatch) -> bool:
    """Step 2. True if the batch was counted now, False if it had been counted before."""
    started = time.perf_counter()
    aggregates = _Aggregates.of(_decode(batch.records))
    alias = router.db_for_write(ProcessedEventBatch)
    try:
        with transaction.atomic(using=alias):
            ProcessedEventBatch.objects.using(alias).create(
                batch_id=batch.id, event_count=len(batch.records)
            )
            aggregates.write(alias)
    except IntegrityError:
        if not ProcessedEventBatch.objects.using(alias).filter(batch_id=batch.id).exists():
            raise
        EVENT_BATCHES.labels(outcome="duplicate").inc()
        return False
    EVENT_BATCHES.labels(outcome="applied").inc()
    EVENTS_FLUSHED.inc(len(batch.records))
    EVENT_FLUSH_DURATION.observe(time.perf_counter() - started)
    return True


def release_batch(batch_id: str) -> None:
    """Step 3."""
    event_buffer().release(batch_id)


def flush_events(*, max_batches: int | None = None) -> FlushResult:
    """Applies pending batches left by an earlier flush, then claims and applies new ones, at
    most `max_batches` (METRICS_FLUSH_MAX_BATCHES) in all. A failure propagates and leaves the
    batch pending for the next run.

    Run it outside any transaction (a task, a plain view): a batch is released right after its
    own transaction commits, which must be the real commit."""
    result = FlushResult()
    budget = max_batches or settings.METRICS_FLUSH_MAX_BATCHES
    lock_ttl = settings.METRICS_FLUSH_TIME_LIMIT + 10
    with event_buffer().flush_lock(lock_ttl) as acquired:
        if not acquired:
            result.locked_out = True
            return result
        for leftover in pending_batches(limit=budget):
            result.recovered += 1
            _complete(leftover, result)
        while result.batches + result.duplicates < budget and (batch := claim_batch()):
            _complete(batch, result)
    if result.batches:
        _prune_markers()
    if result.batches or result.duplicates:
        logger.info("metrics_events_flushed", **result.as_dict())
    return result


def _complete(batch: EventBatch, result: FlushResult) -> None:
    if apply_batch(batch):
        result.batches += 1
        result.events += len(batch.records)
    else:
        result.duplicates += 1
    release_batch(batch.id)


def _prune_markers() -> None:
    days: int = settings.METRICS_BATCH_MARKER_RETENTION_DAYS
    cutoff = timezone.now() - timedelta(days=days)
    ProcessedEventBatch.objects.filter(processed_at__lt=cutoff).delete()


def _malformed(raw: str) -> None:
    EVENTS_DROPPED.labels(reason="malformed").inc()
    logger.warning("metrics_event_malformed", record=str(raw)[:200])


def _decode(raw_records: Iterable[str]) -> list[EventRecord]:
    """Unreadable records are dropped (and counted), so one bad record cannot block its batch;
    a record id seen twice in a batch counts once."""
    records: dict[str, EventRecord] = {}
    for raw in raw_records:
        try:
            record = EventRecord.decode(raw)
        except (ValueError, KeyError, TypeError, OverflowError):
            _malformed(raw)
            continue
        records.setdefault(record.id, record)
    return list(records.values())


@dataclass
class _Aggregates:
    hourly: Counter[tuple[str, datetime]] = field(default_factory=Counter)
    daily: Counter[tuple[str, date]] = field(default_factory=Counter)
    active: Counter[tuple[date, int]] = field(default_factory=Counter)

    @classmethod
    def of(cls, records: Iterable[EventRecord]) -> _Aggregates:
        aggregates = cls()
        for record in records:
            try:
                aggregates.add_event(record)
            except (ValueError, TypeError, OverflowError):  # unusable properties
                _malformed(record.encode())
        return aggregates

    def add_event(self, record: EventRecord) -> None:
        at, name = record.occurred_at, record.name[:64]
        self.hourly[(name, at.replace(minute=0, second=0, microsecond=0))] += 1
        self.daily[(name, at.date())] += 1
        if record.user_id is not None:
            self.active[(at.date(), record.user_id)] += 1

    def write(self, alias: str) -> None:
        hourly = {key: (n,) for key, n in self.hourly.items()}
        _add(alias, HourlyEventCount, ("name", "hour"), ("count",), hourly)
        daily = {key: (n,) for key, n in self.daily.items()}
        _add(alias, DailyEventCount, ("name", "day"), ("count",), daily)
        active = {key: (n,) for key, n in self.active.items()}
        _add(alias, DailyActiveUser, ("day", "user_id"), ("event_count",), active)


def _add(
    alias: str,
    model: type[models.Model],
    keys: Sequence[str],
    amounts: Sequence[str],
    rows: Mapping[tuple[Any, ...], Sequence[int]],
) -> None:
    """Adds `amounts` to the rows with these `keys`, creating missing rows: one
    `INSERT ... ON CONFLICT (keys) DO UPDATE SET a = a + excluded.a` per 500 rows (PostgreSQL and
    SQLite both speak it). The ORM's `bulk_create(update_conflicts=True)` can only overwrite a
    conflicting row, and read-modify-write would lose increments to a concurrent writer."""
    if not rows:
        return
    connection = connections[alias]
    quote = connection.ops.quote_name
    fields = [cast("models.Field[Any, Any]", model._meta.get_field(n)) for n in (*keys, *amounts)]
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    conflict = ", ".join(quote(f.column) for f in fields[: len(keys)])
    updates = ", ".join(
        f"{quote(f.column)} = {table}.{quote(f.column)} + excluded.{quote(f.column)}"
        for f in fields[len(keys) :]
    )
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    with connection.cursor() as cursor:
        items = list(rows.items())
        for start in range(0, len(items), _ROWS_PER_STATEMENT):
            chunk = items[start : start + _ROWS_PER_STATEMENT]
            params = [
                f.get_db_prep_save(value, connection)
                for key, values in chunk
                for f, value in zip(fields, (*key, *values), strict=True)
            ]
            # Identifiers come from the model's metadata; every value is a query parameter.
            sql = (
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([row_sql] * len(chunk))} "  # noqa: S608  # nosec B608
                f"ON CONFLICT ({conflict}) DO UPDATE SET {updates}"
            )
            cursor.execute(sql, params)
