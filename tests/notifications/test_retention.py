"""Retention of `DeliveryAttempt`: settled deliveries go after
NOTIFICATIONS_DELIVERY_RETENTION_DAYS; pending and sending ones, and every notification (the
learner's inbox, read or not), stay."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts.models import User
from notifications.kinds import Channel, Kind
from notifications.models import DeliveryAttempt, DeliveryStatus, Notification
from notifications.services import deliveries_purge
from notifications.tasks import purge_deliveries
from tests.retention import age, assert_purged_hourly

pytestmark = pytest.mark.django_db

CHANNELS = (Channel.IN_APP, Channel.EMAIL, Channel.PUSH, Channel.SMS)


def _deliveries(user: User, *statuses: str) -> list[DeliveryAttempt]:
    """One notification per four statuses, one delivery per status (a channel each)."""
    made = []
    for start in range(0, len(statuses), len(CHANNELS)):
        notification = Notification.objects.create(
            user=user, kind=Kind.QUIZ_READY, title="Ready", body="Your quiz is ready."
        )
        made += DeliveryAttempt.objects.bulk_create(
            DeliveryAttempt(
                notification=notification,
                channel=channel,
                status=status,
                scheduled_for=timezone.now(),
            )
            for channel, status in zip(CHANNELS, statuses[start : start + 4], strict=False)
        )
    return made


def test_old_settled_deliveries_go_and_owed_ones_stay(user, settings):
    settings.NOTIFICATIONS_DELIVERY_RETENTION_DAYS = 30
    _sent, _failed, pending, sending = _deliveries(
        user, DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.PENDING, "sending"
    )
    _deliveries(user, DeliveryStatus.SKIPPED)
    (recent,) = _deliveries(user, DeliveryStatus.SENT)
    age(DeliveryAttempt.objects.exclude(pk=recent.pk), "created_at", days=31)
    age(DeliveryAttempt.objects.filter(pk=recent.pk), "created_at", days=29)

    assert deliveries_purge() == 3
    kept = set(DeliveryAttempt.objects.values_list("pk", flat=True))
    assert kept == {pending.pk, sending.pk, recent.pk}
    assert Notification.objects.filter(user=user).count() == 3
    assert deliveries_purge() == 0


def test_a_delivery_purge_is_bounded_per_run(user):
    _deliveries(user, *[DeliveryStatus.SENT] * 4)
    age(DeliveryAttempt.objects.all(), "created_at", days=365)
    assert deliveries_purge(batch_size=3, max_batches=1) == 3
    assert DeliveryAttempt.objects.count() == 1


def test_the_beat_schedule_purges_deliveries_hourly(user, settings):
    settings.NOTIFICATIONS_DELIVERY_RETENTION_DAYS = 1
    assert_purged_hourly("notifications-purge-deliveries", purge_deliveries)
    _deliveries(user, DeliveryStatus.SENT)
    age(DeliveryAttempt.objects.all(), "created_at", days=2)
    assert purge_deliveries.apply().get() == 1
