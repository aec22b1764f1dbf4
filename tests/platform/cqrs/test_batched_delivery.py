"""One event, several subscribers: delivered in one transaction, isolation only where declared.

Each subscriber here writes one tally row; the tests count what the outbox adds around them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from studymate_api.core.models import DomainEvent, EventDelivery
from studymate_api.cqrs import (
    PublishReport,
    Subscriber,
    SubscriberRegistry,
    publish,
    record_event,
    subscribers,
)
from studymate_api.cqrs import store as store_module
from tests.platform.cqrs.domain import Tally, tally

PROBE = "probe.happened"


def _writer(key: str) -> Callable[[DomainEvent], None]:
    def handle(event: DomainEvent) -> None:
        Tally.objects.create(key=f"{key}:{event.aggregate_id}", value=1)

    return handle


def _failing(event: DomainEvent) -> None:
    Tally.objects.create(key=f"failing:{event.aggregate_id}", value=1)  # rolled back with it
    raise ConnectionError("backend down")


PROBE_SUBSCRIBERS = ("s1", "s2", "s3", "failing", "isolated")


@pytest.fixture(autouse=True)
def _forget_probe_subscribers() -> Iterator[None]:
    yield
    for name in PROBE_SUBSCRIBERS:
        subscribers.unregister(name)


def _registry(*probe_subscribers: Subscriber) -> SubscriberRegistry:
    """Registered as an app registers its own (before the events they hear are recorded)."""
    for subscriber in probe_subscribers:
        subscribers.register(subscriber)
    return subscribers


def _three() -> SubscriberRegistry:
    return _registry(
        *(Subscriber(f"s{n}", _writer(f"s{n}"), event_types=[PROBE]) for n in (1, 2, 3))
    )


def _pending_event(aggregate_id: str = "a1") -> DomainEvent:
    # Recorded outside any commit hook run: publish is called by the test itself.
    return record_event(aggregate_type="probe", aggregate_id=aggregate_id, event_type=PROBE)


def _delivered(event: DomainEvent) -> list[str]:
    return sorted(EventDelivery.objects.filter(event=event).values_list("subscriber", flat=True))


@pytest.mark.django_db(transaction=True)
def test_one_event_reaches_three_subscribers_in_one_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    # Committed for real, as in production (the publish transaction is not a savepoint), and
    # left to this test to publish.
    monkeypatch.setattr(store_module, "schedule_publish", lambda event_id: None)
    registry = _three()
    event = _pending_event()

    with CaptureQueriesContext(connection) as queries:
        report = publish(event.pk, registry=registry)

    assert report == PublishReport(published=1)
    assert _delivered(event) == ["s1", "s2", "s3"]
    assert [tally(f"s{n}:a1") for n in (1, 2, 3)] == [1, 1, 1]
    statements = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"] not in ("BEGIN", "BEGIN IMMEDIATE", "COMMIT")
    ]
    outbox = [sql for sql in statements if "cqrs_tests_tally" not in sql]
    # Claim the event, insert the three deliveries, mark it published: no savepoint and no
    # advisory lock per subscriber, and a first try has no deliveries to read (it was 17
    # statements, 5 a subscriber).
    assert len(outbox) == 3, outbox
    assert len([sql for sql in outbox if sql.startswith("INSERT")]) == 1


@pytest.mark.django_db
def test_a_later_event_of_the_aggregate_checks_the_order_once() -> None:
    """Ordering per aggregate costs one query for all the subscribers, not one each."""
    registry = _three()
    _pending_event()  # sequence 1, left unpublished: the three still owe it
    event = _pending_event()

    with CaptureQueriesContext(connection) as queries:
        report = publish(event.pk, registry=registry)

    assert report == PublishReport(deferred=1)
    order_checks = [q for q in queries.captured_queries if '"sequence" <' in q["sql"]]
    assert len(order_checks) == 1
    assert _delivered(event) == []


@pytest.mark.django_db
def test_a_failing_subscriber_does_not_hold_back_the_others() -> None:
    """The batch fails as a whole, then each subscriber is retried on its own: the healthy
    ones are delivered, the failing one's write is rolled back and the event stays owed to it."""
    registry = _registry(
        Subscriber("s1", _writer("s1"), event_types=[PROBE]),
        Subscriber("failing", _failing, event_types=[PROBE]),
        Subscriber("s3", _writer("s3"), event_types=[PROBE]),
    )
    event = _pending_event()

    assert publish(event.pk, registry=registry) == PublishReport(failed=1)

    event.refresh_from_db()
    assert _delivered(event) == ["s1", "s3"]
    assert [tally("s1:a1"), tally("failing:a1"), tally("s3:a1")] == [1, None, 1]
    assert "failing: ConnectionError: backend down" in event.last_error
    assert event.published_at is None

    # The retry reaches only the subscriber still owed the event: the others apply once.
    registry.unregister("failing")
    registry.register(Subscriber("failing", _writer("failing"), event_types=[PROBE]))
    assert publish(event.pk, registry=registry) == PublishReport(published=1)
    assert [tally("s1:a1"), tally("failing:a1"), tally("s3:a1")] == [1, 1, 1]


@pytest.mark.django_db
def test_an_isolated_subscriber_gets_its_own_savepoint() -> None:
    registry = _registry(
        Subscriber("s1", _writer("s1"), event_types=[PROBE]),
        Subscriber("isolated", _failing, event_types=[PROBE], isolated=True),
    )
    event = _pending_event()

    with CaptureQueriesContext(connection) as queries:
        assert publish(event.pk, registry=registry) == PublishReport(failed=1)

    savepoints = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" in q["sql"].upper()]
    # The isolated one ran in its own savepoint (created, rolled back); the batch needed none.
    assert any("ROLLBACK TO SAVEPOINT" in sql.upper() for sql in savepoints)
    assert _delivered(event) == ["s1"]
    assert tally("failing:a1") is None
    assert Tally.objects.filter(key="s1:a1").exists()
