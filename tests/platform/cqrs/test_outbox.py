"""The outbox: delivery after commit, exactly once per subscriber, retried by the beat task."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone
from structlog.testing import capture_logs

from studymate_api.core.models import DomainEvent, EventDelivery
from studymate_api.cqrs import (
    PublishReport,
    publish,
    publish_outbox,
    publish_pending,
    record_event,
)
from studymate_api.cqrs import store as store_module
from studymate_api.settings.platform_cqrs import CQRS_BEAT_SCHEDULE
from tests.factories import UserFactory
from tests.platform.cqrs.domain import (
    FAILS_ONE_PUBLISH,
    FLAKY,
    TOTALS,
    flaky_plan,
    increment,
    increment_then_fail,
    tally,
)


def _deliveries(event: DomainEvent) -> list[str]:
    return sorted(EventDelivery.objects.filter(event=event).values_list("subscriber", flat=True))


@pytest.mark.django_db(transaction=True)
class TestAfterCommit:
    def test_a_committed_event_reaches_every_subscriber_once_and_is_published(self):
        user = UserFactory.create()

        increment(user=user, counter_id="c1", by=3)

        event = DomainEvent.objects.get()
        assert event.published_at is not None
        assert _deliveries(event) == sorted([TOTALS, FLAKY])
        assert tally("total:c1") == 3
        assert tally("flaky:c1") == 3

    def test_nothing_is_published_when_the_command_rolls_back(self):
        user = UserFactory.create()

        with pytest.raises(RuntimeError):
            increment_then_fail(user=user, counter_id="c1")

        assert not DomainEvent.objects.exists()
        assert not EventDelivery.objects.exists()
        assert tally("total:c1") is None

    def test_an_event_recorded_in_a_rolled_back_savepoint_is_never_published(self):
        user = UserFactory.create()
        with transaction.atomic():
            increment(user=user, counter_id="kept")
            savepoint = transaction.savepoint()
            increment(user=user, counter_id="undone")
            transaction.savepoint_rollback(savepoint)

        assert list(DomainEvent.objects.values_list("aggregate_id", flat=True)) == ["kept"]
        assert tally("total:kept") == 1
        assert tally("total:undone") is None

    def test_an_event_nobody_listens_to_is_published_straight_away(self):
        event = record_event(aggregate_type="probe", aggregate_id="p", event_type="probe.quiet")

        event.refresh_from_db()
        assert event.published_at is not None
        assert not EventDelivery.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_subscriber_failing_once_is_retried_by_the_task_and_applied_exactly_once(
    no_retry_backoff,
):
    user = UserFactory.create()
    flaky_plan.failures_left = FAILS_ONE_PUBLISH

    increment(user=user, counter_id="c1", by=2)

    event = DomainEvent.objects.get()
    assert event.published_at is None
    assert event.attempts == 1
    assert "tests.flaky: ConnectionError: subscriber backend unavailable" in event.last_error
    assert _deliveries(event) == [TOTALS]  # the healthy subscriber is done already
    assert tally("flaky:c1") is None  # the failed delivery's write was rolled back

    publish_outbox.delay()
    publish_outbox.delay()  # a second sweep finds nothing left to do

    event = DomainEvent.objects.get()
    assert event.published_at is not None
    assert (event.attempts, event.last_error) == (1, "")
    assert _deliveries(event) == sorted([TOTALS, FLAKY])
    assert tally("flaky:c1") == 2
    assert tally("total:c1") == 2
    assert flaky_plan.applied == [("c1", 1)]


@pytest.mark.django_db
class TestRetries:
    def _failed_event(self, user, django_capture_on_commit_callbacks) -> DomainEvent:
        flaky_plan.failures_left = FAILS_ONE_PUBLISH
        with django_capture_on_commit_callbacks(execute=True):
            increment(user=user, counter_id="c1")
        event = DomainEvent.objects.get(aggregate_id="c1")
        assert event.attempts == 1
        return event

    def test_a_failed_event_waits_out_its_backoff(self, user, django_capture_on_commit_callbacks):
        event = self._failed_event(user, django_capture_on_commit_callbacks)
        assert event.next_attempt_at is not None
        assert event.next_attempt_at > timezone.now()

        assert publish_pending() == PublishReport()

        DomainEvent.objects.filter(pk=event.pk).update(
            next_attempt_at=timezone.now() - timedelta(seconds=1)
        )
        assert publish_pending() == PublishReport(published=1)

    def test_the_backoff_doubles_with_each_failure(
        self, user, settings, django_capture_on_commit_callbacks
    ):
        settings.CQRS_OUTBOX_RETRY_BACKOFF_SECONDS = 10
        event = self._failed_event(user, django_capture_on_commit_callbacks)
        flaky_plan.failures_left = FAILS_ONE_PUBLISH
        started = timezone.now()

        assert publish(event.pk) == PublishReport(failed=1)

        event.refresh_from_db()
        assert event.attempts == 2
        assert event.next_attempt_at is not None
        assert timedelta(seconds=19) < event.next_attempt_at - started <= timedelta(seconds=21)

    def test_later_events_of_an_aggregate_wait_for_an_earlier_failed_one(
        self, user, no_retry_backoff, django_capture_on_commit_callbacks
    ):
        first = self._failed_event(user, django_capture_on_commit_callbacks)
        with django_capture_on_commit_callbacks(execute=True):
            increment(user=user, counter_id="c1")
        second = DomainEvent.objects.get(aggregate_id="c1", sequence=2)

        assert _deliveries(second) == [TOTALS]
        assert "waiting for earlier events" in second.last_error
        assert second.attempts == 0

        assert publish_pending() == PublishReport(published=2)
        assert flaky_plan.applied == [("c1", first.sequence), ("c1", second.sequence)]

    def test_one_failing_event_does_not_hold_up_other_aggregates(
        self, user, django_capture_on_commit_callbacks
    ):
        self._failed_event(user, django_capture_on_commit_callbacks)

        with django_capture_on_commit_callbacks(execute=True):
            increment(user=user, counter_id="other")

        assert DomainEvent.objects.get(aggregate_id="other").published_at is not None


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("unreachable_broker")
def test_a_broker_outage_leaves_the_event_to_the_sweep():
    with capture_logs() as logs:
        version = increment(user=UserFactory.create(), counter_id="c1")

    assert version == 1  # the command committed and answered
    assert DomainEvent.objects.get().published_at is None
    assert "cqrs.publish.left_to_sweep" in [line["event"] for line in logs]

    assert publish_pending() == PublishReport(published=1)
    assert tally("total:c1") == 1


@pytest.mark.django_db
def test_a_sweep_walks_the_outbox_in_batches(user):
    # Recorded without running the commit callbacks, as if the process died before publishing.
    for n in range(5):
        increment(user=user, counter_id=f"c{n}")

    report = publish_pending(batch_size=2)

    assert report == PublishReport(published=5)
    assert not DomainEvent.objects.filter(published_at__isnull=True).exists()
    assert tally("total:c4") == 1


@pytest.mark.django_db
def test_a_sweep_stops_at_its_time_budget(user):
    for n in range(3):
        increment(user=user, counter_id=f"c{n}")

    assert publish_pending(time_budget=0) == PublishReport()


@pytest.mark.django_db(transaction=True)
def test_two_workers_publishing_one_event_deliver_it_once(monkeypatch):
    # As if the process died right after commit: the event is left to the workers.
    monkeypatch.setattr(store_module, "schedule_publish", lambda event_id: None)
    increment(user=UserFactory.create(), counter_id="c2", by=5)
    pending = DomainEvent.objects.get()
    barrier = threading.Barrier(2)
    reports: list[PublishReport] = []

    def work() -> None:
        try:
            barrier.wait(timeout=10)
            reports.append(publish(pending.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(r.published for r in reports) == [0, 1]
    assert sorted(r.skipped for r in reports) == [0, 1]
    assert tally("total:c2") == 5
    assert EventDelivery.objects.filter(event=pending).count() == 2


def test_beat_runs_the_sweep():
    entry = CQRS_BEAT_SCHEDULE["cqrs-publish-outbox"]

    assert entry["task"] == publish_outbox.name == "studymate_api.cqrs.publish_outbox"
