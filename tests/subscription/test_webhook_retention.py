"""Retention of `WebhookEvent`: processed events go after BILLING_WEBHOOK_EVENTS_RETENTION_DAYS;
within it a redelivered event is still recognised and does nothing."""

from __future__ import annotations

import time

import pytest

from subscription.models import WebhookEvent
from subscription.services.webhooks import webhook_events_purge
from subscription.tasks import purge_webhook_events
from tests.retention import age, assert_purged_hourly

pytestmark = pytest.mark.django_db


def _received(stripe_api, deliver, count: int) -> list[dict]:
    events = [
        stripe_api.event("customer.created", {"id": f"cus_{n}"}, created=int(time.time()))
        for n in range(count)
    ]
    for event in events:
        assert deliver(event).json()["duplicate"] is False
    return events


def test_old_processed_events_go_and_recent_ones_still_dedup(billing, deliver, settings):
    settings.BILLING_WEBHOOK_EVENTS_RETENTION_DAYS = 30
    old, recent = _received(billing, deliver, 2)
    age(WebhookEvent.objects.filter(stripe_event_id=old["id"]), "processed_at", days=31)
    age(WebhookEvent.objects.filter(stripe_event_id=recent["id"]), "processed_at", days=29)

    assert webhook_events_purge() == 1
    assert list(WebhookEvent.objects.values_list("stripe_event_id", flat=True)) == [recent["id"]]
    assert deliver(recent).json()["duplicate"] is True
    assert webhook_events_purge() == 0


def test_a_webhook_purge_is_bounded_per_run(billing, deliver):
    _received(billing, deliver, 3)
    age(WebhookEvent.objects.all(), "processed_at", days=365)
    assert webhook_events_purge(batch_size=2, max_batches=1) == 2
    assert WebhookEvent.objects.count() == 1


def test_the_beat_schedule_purges_webhook_events_hourly(billing, deliver, settings):
    settings.BILLING_WEBHOOK_EVENTS_RETENTION_DAYS = 4
    assert_purged_hourly("subscription-purge-webhook-events", purge_webhook_events)
    _received(billing, deliver, 1)
    age(WebhookEvent.objects.all(), "processed_at", days=5)
    assert purge_webhook_events.apply().get() == 1
