"""The event store: per-aggregate sequences, optimistic concurrency, append-only rows."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.utils import timezone

from studymate_api.core.errors import Conflict
from studymate_api.core.models import DomainEvent
from studymate_api.core.models.events import AppendOnlyViolation
from studymate_api.cqrs import aggregate_events, aggregate_version, record_event
from studymate_api.cqrs import store as store_module


def _append(aggregate_id: str | int = "a1", **kwargs) -> DomainEvent:
    return record_event(
        aggregate_type="probe", aggregate_id=aggregate_id, event_type="probe.appended", **kwargs
    )


@pytest.mark.django_db
class TestAppending:
    def test_each_aggregate_counts_its_own_sequence_from_one(self):
        for aggregate_id in ["a1", "a2", "a1", "a1", "a2"]:
            _append(aggregate_id)

        assert [e.sequence for e in aggregate_events("probe", "a1")] == [1, 2, 3]
        assert [e.sequence for e in aggregate_events("probe", "a2")] == [1, 2]
        assert aggregate_version("probe", "a1") == 3
        assert aggregate_version("probe", "never") == 0

    def test_integer_ids_are_stored_as_strings(self):
        assert _append(42).aggregate_id == "42"

    def test_the_expected_version_accepts_the_current_one(self):
        _append()

        assert _append(expected_version=1).sequence == 2

    def test_a_stale_expected_version_is_a_conflict(self):
        _append()
        _append()

        with pytest.raises(Conflict):
            _append(expected_version=1)
        assert aggregate_version("probe", "a1") == 2

    def test_losing_the_race_for_a_sequence_retries_with_the_next_one(self, monkeypatch):
        _append()
        _append()
        real_version = store_module.aggregate_version
        stale = iter([1])  # the first read misses the second event, as a racing writer would
        monkeypatch.setattr(
            store_module, "aggregate_version", lambda *a: next(stale, None) or real_version(*a)
        )

        assert _append().sequence == 3

    def test_losing_the_race_with_an_expected_version_is_a_conflict(self, monkeypatch):
        _append()
        _append()
        monkeypatch.setattr(store_module, "aggregate_version", lambda *a: 1)

        with pytest.raises(Conflict):
            _append(expected_version=1)

    def test_retries_are_bounded(self, monkeypatch, settings):
        settings.CQRS_APPEND_MAX_ATTEMPTS = 3
        _append()
        reads: list[str] = []

        def always_stale(aggregate_type: str, aggregate_id: str) -> int:
            reads.append(aggregate_id)
            return 0

        monkeypatch.setattr(store_module, "aggregate_version", always_stale)

        with pytest.raises(Conflict):
            _append()
        assert reads == ["a1"] * 3


@pytest.mark.django_db
class TestAppendOnly:
    def test_a_recorded_event_cannot_be_changed(self):
        event = _append()
        event.payload = {"rewritten": True}

        with pytest.raises(AppendOnlyViolation):
            event.save()
        with pytest.raises(AppendOnlyViolation):
            event.save(update_fields=["payload"])
        with pytest.raises(AppendOnlyViolation):
            DomainEvent.objects.filter(pk=event.pk).update(event_type="other")

    def test_a_recorded_event_cannot_be_deleted(self):
        event = _append()

        with pytest.raises(AppendOnlyViolation):
            event.delete()
        with pytest.raises(AppendOnlyViolation):
            DomainEvent.objects.all().delete()
        assert DomainEvent.objects.filter(pk=event.pk).exists()

    def test_the_outbox_columns_can_change(self):
        event = _append()
        event.attempts = 2
        event.save(update_fields=["attempts"])

        assert (
            DomainEvent.objects.filter(published_at__isnull=True).update(
                published_at=timezone.now()
            )
            == 1
        )

    def test_deleting_the_user_keeps_the_event(self, user):
        event = _append(user=user)

        user.delete()

        event.refresh_from_db()
        assert event.user is None


WRITERS = 8
EVENTS_PER_WRITER = 5


def _race(writers: int, appends_each: int) -> list[BaseException]:
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write() -> None:
        try:
            barrier.wait(timeout=10)
            for _ in range(appends_each):
                _append("contended")
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=write) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_get_sequences_without_gaps_or_duplicates():
    errors = _race(WRITERS, EVENTS_PER_WRITER)

    assert errors == []
    sequences = list(aggregate_events("probe", "contended").values_list("sequence", flat=True))
    assert sequences == list(range(1, WRITERS * EVENTS_PER_WRITER + 1))


@pytest.mark.django_db(transaction=True)
def test_without_the_aggregate_lock_the_unique_constraint_and_retries_keep_order(
    monkeypatch, settings
):
    """On PostgreSQL this races for real: losers hit the unique constraint and retry. Each loss
    means another writer won, so WRITERS attempts always suffice for one append per writer."""
    settings.CQRS_APPEND_MAX_ATTEMPTS = WRITERS
    monkeypatch.setattr(store_module, "_lock_aggregate", lambda *args: None)

    errors = _race(WRITERS, 1)

    assert errors == []
    sequences = list(aggregate_events("probe", "contended").values_list("sequence", flat=True))
    assert sequences == list(range(1, WRITERS + 1))
