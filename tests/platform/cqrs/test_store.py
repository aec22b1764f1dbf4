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

    def _rival_first(self, monkeypatch, times: int = 1) -> list[int]:
        """The next `times` inserts find their sequence taken: a rival writer's event lands
        just before each of them, as when two writers race."""
        real_insert = store_module._insert_next
        rivals: list[int] = []

        def insert_after_a_rival(fields, expected_version):
            if len(rivals) < times:
                rival = real_insert({**fields, "event_type": "probe.rival"}, None)
                assert rival is not None
                rivals.append(rival.sequence)
                return None  # what our insert does when the rival took its sequence
            return real_insert(fields, expected_version)

        monkeypatch.setattr(store_module, "_insert_next", insert_after_a_rival)
        return rivals

    def test_losing_the_race_for_a_sequence_retries_with_the_next_one(self, monkeypatch):
        _append()
        rivals = self._rival_first(monkeypatch)

        assert _append().sequence == 3
        assert rivals == [2]

    def test_losing_the_race_with_an_expected_version_is_a_conflict(self, monkeypatch):
        _append()
        self._rival_first(monkeypatch)

        with pytest.raises(Conflict):
            _append(expected_version=1)
        assert [e.event_type for e in aggregate_events("probe", "a1")] == [
            "probe.appended",
            "probe.rival",
        ]

    def test_retries_are_bounded(self, monkeypatch, settings):
        settings.CQRS_APPEND_MAX_ATTEMPTS = 3
        _append()
        rivals = self._rival_first(monkeypatch, times=10)

        with pytest.raises(Conflict):
            _append()
        assert rivals == [2, 3, 4]

    def test_an_append_is_one_statement_besides_the_aggregate_lock(self):
        from django.test.utils import CaptureQueriesContext

        _append()
        with CaptureQueriesContext(connection) as queries:
            assert _append().sequence == 2
        statements = [q["sql"] for q in queries.captured_queries]
        locks = [sql for sql in statements if "pg_advisory_xact_lock" in sql]
        assert len(locks) == (1 if connection.vendor == "postgresql" else 0)
        assert len(statements) - len(locks) == 1, statements


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

        assert DomainEvent.objects.filter(pk=event.pk).update(published_at=timezone.now()) == 1

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
