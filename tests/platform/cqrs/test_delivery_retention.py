"""Retention of the outbox's `EventDelivery` rows: those of published events go after
CQRS_DELIVERY_RETENTION_DAYS; those of unpublished events stay however old (they keep a
subscriber from getting an event twice), and the events themselves are never deleted."""

from __future__ import annotations

import pytest
from django.utils import timezone

from studymate_api.core.models import DomainEvent, EventDelivery
from studymate_api.cqrs.outbox import deliveries_purge
from studymate_api.cqrs.tasks import purge_deliveries
from tests.retention import age, assert_purged_hourly

pytestmark = pytest.mark.django_db


def _event(*, published: bool, subscribers: int = 1) -> DomainEvent:
    event = DomainEvent.objects.create(
        aggregate_type="counter",
        aggregate_id=str(DomainEvent.objects.count() + 1),
        sequence=1,
        event_type="counter.incremented",
        published_at=timezone.now() if published else None,
    )
    EventDelivery.objects.bulk_create(
        EventDelivery(event=event, subscriber=f"tests.subscriber{n}") for n in range(subscribers)
    )
    return event


def test_old_deliveries_of_published_events_go_and_the_events_stay(settings):
    settings.CQRS_DELIVERY_RETENTION_DAYS = 30
    published = _event(published=True, subscribers=2)
    unpublished = _event(published=False)
    recent = _event(published=True)
    age(EventDelivery.objects.exclude(event=recent), "delivered_at", days=31)
    age(EventDelivery.objects.filter(event=recent), "delivered_at", days=29)

    assert deliveries_purge() == 2
    assert set(EventDelivery.objects.values_list("event_id", flat=True)) == {
        unpublished.pk,
        recent.pk,
    }
    assert DomainEvent.objects.filter(pk=published.pk).exists()
    assert DomainEvent.objects.count() == 3
    assert deliveries_purge() == 0


def test_a_delivery_purge_is_bounded_per_run():
    _event(published=True, subscribers=5)
    age(EventDelivery.objects.all(), "delivered_at", days=365)
    assert deliveries_purge(batch_size=2, max_batches=2) == 4
    assert EventDelivery.objects.count() == 1


def test_the_beat_schedule_purges_deliveries_hourly(settings):
    settings.CQRS_DELIVERY_RETENTION_DAYS = 1
    assert_purged_hourly("cqrs-purge-deliveries", purge_deliveries)
    _event(published=True)
    age(EventDelivery.objects.all(), "delivered_at", days=2)
    assert purge_deliveries.apply().get() == 1
