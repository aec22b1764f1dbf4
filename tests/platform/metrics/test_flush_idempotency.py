"""A flush that dies half-way and runs again counts nothing twice (and loses nothing).

The crash points are reproduced by running the flush's own steps (claim, apply, release) and
stopping where a killed worker would have stopped.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import pytest
from django.db import connection

from studymate_api.core.models import (
    DailyActiveUser,
    DailyEventCount,
    HourlyEventCount,
    ProcessedEventBatch,
)
from studymate_api.metrics.events import EventRecord, enqueue
from studymate_api.metrics.flush import (
    apply_batch,
    claim_batch,
    flush_events,
    pending_batches,
    release_batch,
)

pytestmark = pytest.mark.django_db

AT = datetime(2025, 5, 5, 14, 30, tzinfo=UTC)


def _track(n: int, user_id: int | None = None, name: str = "quiz_completed") -> None:
    for _ in range(n):
        assert enqueue(EventRecord(name=name, occurred_at=AT, user_id=user_id))


def _counts() -> tuple[int, int, int]:
    daily = DailyEventCount.objects.get(name="quiz_completed", day=date(2025, 5, 5)).count
    hourly = HourlyEventCount.objects.get(name="quiz_completed").count
    active = sum(DailyActiveUser.objects.values_list("event_count", flat=True))
    return daily, hourly, active


def test_crash_after_claim_before_commit(buffer, user):
    _track(5, user.pk)
    batch = claim_batch()
    assert batch is not None
    assert len(batch.records) == 5
    # The worker dies here: the events are no longer in the buffer, nothing is committed.
    assert buffer.size() == 0
    assert [b.id for b in pending_batches()] == [batch.id]

    result = flush_events()

    assert (result.recovered, result.batches, result.events) == (1, 1, 5)
    assert _counts() == (5, 5, 5)
    assert pending_batches() == []
    assert flush_events().batches == 0
    assert _counts() == (5, 5, 5)


def test_crash_after_commit_before_release(buffer, user):
    _track(4, user.pk)
    batch = claim_batch()
    assert batch is not None
    assert apply_batch(batch) is True
    # The worker dies here: the batch is committed but still pending in the buffer.
    assert [b.id for b in pending_batches()] == [batch.id]

    result = flush_events()

    assert (result.recovered, result.duplicates, result.batches) == (1, 1, 0)
    assert _counts() == (4, 4, 4)
    assert pending_batches() == []


def test_events_tracked_during_a_crash_are_counted_once_too(buffer, user):
    _track(3, user.pk)
    crashed = claim_batch()
    assert crashed is not None
    _track(2, user.pk)  # requests keep coming while the worker restarts

    result = flush_events()

    assert (result.recovered, result.batches, result.events) == (1, 2, 5)
    assert _counts() == (5, 5, 5)


def test_applying_a_batch_twice_counts_it_once(buffer):
    _track(3)
    batch = claim_batch()
    assert batch is not None

    assert apply_batch(batch) is True
    assert apply_batch(batch) is False
    release_batch(batch.id)

    assert DailyEventCount.objects.get().count == 3
    assert ProcessedEventBatch.objects.filter(batch_id=batch.id).count() == 1


def test_a_second_flush_waits_its_turn(buffer):
    _track(2)
    with buffer.flush_lock(30) as acquired:
        assert acquired
        assert flush_events().locked_out is True
    assert buffer.size() == 2
    assert flush_events().events == 2


def test_an_unreadable_record_does_not_block_its_batch(buffer):
    _track(2)
    buffer.push("not json at all")
    buffer.push('{"id": "x", "kind": "mystery", "name": "a", "ts": 0}')
    buffer.push('{"id": "y", "kind": "event", "name": "a", "ts": 1e300}')
    # Left in a buffer by a version that still buffered AI calls.
    buffer.push('{"id": "z", "kind": "ai_call", "name": "ai_call", "ts": 1, "props": {}}')

    result = flush_events()

    assert (result.batches, result.events) == (1, 6)
    assert DailyEventCount.objects.get().count == 2
    assert pending_batches() == []


def test_empty_buffer_flush_touches_no_table(buffer, django_assert_num_queries):
    with django_assert_num_queries(0):
        result = flush_events()
    assert (result.batches, result.recovered) == (0, 0)


@pytest.mark.django_db(transaction=True)
def test_concurrent_applies_of_one_batch_count_it_once(buffer):
    """Two workers holding the same batch (the lock expired under a stuck worker): the unique
    marker makes the second transaction fail and add nothing."""
    _track(6)
    batch = claim_batch()
    assert batch is not None
    barrier = threading.Barrier(2)
    outcomes: list[bool] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=5)
            outcomes.append(apply_batch(batch))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == [False, True]
    assert DailyEventCount.objects.get().count == 6
