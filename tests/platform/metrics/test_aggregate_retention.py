"""Retention of the metric aggregates: hourly counts after METRICS_HOURLY_RETENTION_DAYS (their
totals stay in the daily counts), daily active users after METRICS_ACTIVE_USERS_RETENTION_DAYS,
daily event counts kept; and of Django's expired sessions."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts.services.sessions import expired_sessions_purge
from accounts.tasks import purge_expired_sessions
from studymate_api.core.models import DailyActiveUser, DailyEventCount, HourlyEventCount
from studymate_api.metrics.retention import aggregates_purge
from studymate_api.metrics.tasks import purge_aggregates
from tests.retention import assert_purged_hourly

pytestmark = pytest.mark.django_db


def _hours_ago(hours: float) -> datetime.datetime:
    return (timezone.now() - datetime.timedelta(hours=hours)).replace(
        minute=0, second=0, microsecond=0
    )


def test_old_hours_and_active_days_go_and_the_daily_counts_stay(settings):
    settings.METRICS_HOURLY_RETENTION_DAYS = 30
    settings.METRICS_ACTIVE_USERS_RETENTION_DAYS = 400
    today = timezone.now().date()
    HourlyEventCount.objects.bulk_create(
        [
            HourlyEventCount(name="quiz_completed", hour=_hours_ago(24 * 31), count=4),
            HourlyEventCount(name="summary_created", hour=_hours_ago(24 * 40), count=2),
            HourlyEventCount(name="quiz_completed", hour=_hours_ago(24 * 29), count=7),
        ]
    )
    DailyEventCount.objects.create(
        name="quiz_completed", day=today - datetime.timedelta(days=900), count=11
    )
    DailyActiveUser.objects.bulk_create(
        [
            DailyActiveUser(day=today - datetime.timedelta(days=401), user_id=1, event_count=3),
            DailyActiveUser(day=today - datetime.timedelta(days=399), user_id=1, event_count=5),
        ]
    )

    assert aggregates_purge() == {"hourly_event_counts": 2, "daily_active_users": 1}
    assert list(HourlyEventCount.objects.values_list("count", flat=True)) == [7]
    assert list(DailyActiveUser.objects.values_list("event_count", flat=True)) == [5]
    assert DailyEventCount.objects.get().count == 11  # kept, however old
    assert aggregates_purge() == {"hourly_event_counts": 0, "daily_active_users": 0}


def test_a_purge_is_bounded_per_run(settings):
    settings.METRICS_HOURLY_RETENTION_DAYS = 1
    HourlyEventCount.objects.bulk_create(
        HourlyEventCount(name="e", hour=_hours_ago(24 * 5 + n), count=1) for n in range(5)
    )
    assert aggregates_purge(batch_size=2, max_batches=2)["hourly_event_counts"] == 4
    assert HourlyEventCount.objects.count() == 1


def test_beat_purges_the_aggregates_and_the_sessions_hourly():
    assert_purged_hourly("metrics-purge-aggregates", purge_aggregates)
    assert_purged_hourly("accounts-purge-expired-sessions", purge_expired_sessions)


def test_expired_sessions_go_and_live_ones_stay():
    live, expired = SessionStore(), SessionStore()
    live["who"], expired["who"] = "live", "expired"
    live.create()
    expired.create()
    Session.objects.filter(session_key=expired.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert expired_sessions_purge() == 1
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]
    assert purge_expired_sessions.apply().get() == 0
