"""Quiet hours and reminder times in the learner's time zone, with a frozen clock."""

from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.models import User
from notifications.models import DeliveryAttempt, DeliveryStatus, Notification
from notifications.quiet_hours import quiet_until
from notifications.services import (
    delivery_due_ids,
    preference_update,
    reminders_send,
    streak_risk_send,
)
from notifications.tasks import deliver, deliver_due
from study.services.progress import progress_log
from study.services.settings import study_settings_update
from tests.standins.fcm_api import FCMStandin

from .conftest import Mailbox, set_profile

UTC = datetime.UTC
SEOUL, NEW_YORK = ZoneInfo("Asia/Seoul"), ZoneInfo("America/New_York")
T = datetime.time


def at(zone: datetime.tzinfo, *args: int) -> datetime.datetime:
    year, month, day, hour, minute, *rest = args
    second = rest[0] if rest else 0
    return datetime.datetime(year, month, day, hour, minute, second, tzinfo=zone)


@pytest.mark.parametrize(
    ("now", "zone", "expected"),
    [
        # 23:30 in Seoul, window 22:00-07:00: until 07:00 Seoul the next morning.
        (at(SEOUL, 2026, 11, 26, 23, 30), SEOUL, at(SEOUL, 2026, 11, 27, 7, 0)),
        # 03:00 in Seoul: same night's window, ends 07:00 that morning.
        (at(SEOUL, 2026, 11, 27, 3, 0), SEOUL, at(SEOUL, 2026, 11, 27, 7, 0)),
        (at(SEOUL, 2026, 11, 27, 7, 0), SEOUL, None),
        (at(SEOUL, 2026, 11, 27, 21, 59), SEOUL, None),
        # The same instant (14:30 UTC) is 23:30 in Seoul but 09:30 in New York.
        (at(UTC, 2026, 11, 26, 14, 30), NEW_YORK, None),
        (at(UTC, 2026, 11, 27, 4, 0), NEW_YORK, at(NEW_YORK, 2026, 11, 27, 7, 0)),
        (at(UTC, 2026, 11, 26, 23, 0), ZoneInfo("UTC"), at(UTC, 2026, 11, 27, 7, 0)),
        # Across the end of daylight saving time in New York (1 Nov 2026): still 07:00 local.
        (at(NEW_YORK, 2026, 10, 31, 23, 0), NEW_YORK, at(NEW_YORK, 2026, 11, 1, 7, 0)),
    ],
)
def test_quiet_until_ends_at_the_local_end_of_the_window(
    now: datetime.datetime, zone: ZoneInfo, expected: datetime.datetime | None
) -> None:
    assert quiet_until(now, zone, T(22, 0), T(7, 0)) == expected


def test_a_daytime_window_and_no_window() -> None:
    noon = at(SEOUL, 2026, 11, 26, 12, 0)
    assert quiet_until(noon, SEOUL, T(12, 0), T(13, 30)) == at(SEOUL, 2026, 11, 26, 13, 30)
    assert quiet_until(noon, SEOUL, T(9, 0), T(9, 0)) is None
    assert quiet_until(noon, SEOUL, None, None) is None


@pytest.fixture
def night_owl(user: User) -> User:
    """In Seoul, email and push on, quiet from 22:00 to 07:00, one push device."""
    from notifications.services import device_register

    preference_update(user=user, data={"quiet_hours_start": T(22, 0), "quiet_hours_end": T(7, 0)})
    device_register(user=user, token="owl-phone", platform="ios")
    return set_profile(user, timezone="Asia/Seoul", language="en")


def test_email_and_push_wait_for_the_end_of_quiet_hours_in_app_does_not(
    night_owl: User, mailbox: Mailbox, fcm: FCMStandin, commit_hooks: Any
) -> None:
    fcm.enqueue(fcm.sent())
    with time_machine.travel(at(SEOUL, 2026, 11, 26, 23, 30), tick=False), commit_hooks():
        from notifications.services import notify

        notification = notify(user=night_owl, kind="goal_reminder", context={})
    deliveries = {d.channel: d for d in DeliveryAttempt.objects.filter(notification=notification)}
    assert deliveries["in_app"].status == DeliveryStatus.SENT
    for channel in ("email", "push"):
        assert deliveries[channel].status == DeliveryStatus.PENDING
        assert deliveries[channel].scheduled_for == at(SEOUL, 2026, 11, 27, 7, 0)
    assert mailbox.messages == []
    assert fcm.messages == []

    with time_machine.travel(at(SEOUL, 2026, 11, 27, 6, 59), tick=False):
        assert deliver.apply((deliveries["email"].pk,)).get() == "not_claimed"
    with time_machine.travel(at(SEOUL, 2026, 11, 27, 7, 0), tick=False):
        assert deliver.apply((deliveries["email"].pk,)).get() == "sent"
        assert deliver.apply((deliveries["push"].pk,)).get() == "sent"
    assert len(mailbox.messages) == 1
    assert len(fcm.messages) == 1


def test_a_lost_eta_task_is_sent_by_the_sweep_after_the_window(
    night_owl: User, mailbox: Mailbox
) -> None:
    from notifications.services import notify

    with time_machine.travel(at(SEOUL, 2026, 11, 26, 23, 30), tick=False):
        notify(user=night_owl, kind="goal_reminder", context={}, channels=["email"])
    with time_machine.travel(at(SEOUL, 2026, 11, 27, 7, 0, 30), tick=False):
        assert delivery_due_ids() == []  # its own ETA task is still expected
    with time_machine.travel(at(SEOUL, 2026, 11, 27, 7, 2), tick=False):
        assert deliver_due.apply().get() == 1
    assert len(mailbox.messages) == 1


# --- goal reminders ------------------------------------------------------------------------------


def _learner(factory_user: User, zone: str, reminder: T) -> User:
    study_settings_update(user=factory_user, data={"reminder_time": reminder})
    return set_profile(factory_user, timezone=zone)


@pytest.fixture
def three_learners(db: Any) -> dict[str, User]:
    """Each wants a reminder at 08:00 local time."""
    from tests.factories import UserFactory

    return {
        zone: _learner(UserFactory.create(), zone, T(8, 0))
        for zone in ("Asia/Seoul", "UTC", "America/New_York")
    }


@pytest.mark.parametrize(
    ("instant", "reminded"),
    [
        (at(UTC, 2026, 11, 25, 23, 1), "Asia/Seoul"),  # 08:01 in Seoul
        (at(UTC, 2026, 11, 26, 8, 3), "UTC"),
        (at(UTC, 2026, 11, 26, 13, 0), "America/New_York"),  # 08:00 EST
        (at(UTC, 2026, 7, 1, 12, 5), "America/New_York"),  # 08:05 EDT in summer
    ],
)
def test_reminders_go_out_at_each_learners_local_time(
    three_learners: dict[str, User], instant: datetime.datetime, reminded: str
) -> None:
    with time_machine.travel(instant, tick=False):
        assert reminders_send() == 1
        assert reminders_send() == 0  # the next scan the same day adds nothing
    reminder = Notification.objects.get(kind="goal_reminder")
    assert reminder.user == three_learners[reminded]
    local_day = instant.astimezone(ZoneInfo(reminded)).date()
    assert reminder.dedup_key == f"goal_reminder:{local_day}"


def test_no_reminder_outside_the_window_and_one_per_local_day(
    three_learners: dict[str, User],
) -> None:
    with time_machine.travel(at(SEOUL, 2026, 11, 26, 7, 59), tick=False):
        assert reminders_send() == 0
    with time_machine.travel(at(SEOUL, 2026, 11, 26, 8, 20), tick=False):
        assert reminders_send() == 0  # past the lookback of two scan windows
    with time_machine.travel(at(SEOUL, 2026, 11, 26, 8, 9), tick=False):
        assert reminders_send() == 1
    with time_machine.travel(at(SEOUL, 2026, 11, 27, 8, 0), tick=False):
        assert reminders_send() == 1  # the next local day


def test_a_reminder_scan_with_nothing_due_is_one_query(
    three_learners: dict[str, User], django_assert_num_queries: Any
) -> None:
    """Learners, profiles, preferences and study settings come in the scan's one query."""
    with (
        time_machine.travel(at(SEOUL, 2026, 11, 26, 7, 0), tick=False),
        django_assert_num_queries(1),
    ):
        assert reminders_send() == 0


def test_a_reminder_inside_quiet_hours_is_delivered_when_they_end(
    user: User, mailbox: Mailbox, commit_hooks: Any
) -> None:
    user = _learner(user, "America/New_York", T(6, 30))
    preference_update(user=user, data={"quiet_hours_start": T(22, 0), "quiet_hours_end": T(7, 0)})
    with time_machine.travel(at(NEW_YORK, 2026, 11, 26, 6, 31), tick=False), commit_hooks():
        assert reminders_send() == 1
    assert mailbox.messages == []
    email = DeliveryAttempt.objects.get(channel="email")
    assert email.scheduled_for == at(NEW_YORK, 2026, 11, 26, 7, 0)
    with time_machine.travel(at(NEW_YORK, 2026, 11, 26, 7, 0), tick=False):
        assert deliver.apply((email.pk,)).get() == "sent"
    assert len(mailbox.messages) == 1


# --- streak at risk ------------------------------------------------------------------------------


def test_streak_at_risk_in_the_evening_after_studying_yesterday(user: User) -> None:
    from study.services.subjects import subject_create

    user = set_profile(user, timezone="America/New_York")
    subject = subject_create(created_by=user, name="Biology")
    for day in (24, 25):
        with time_machine.travel(at(NEW_YORK, 2026, 11, day, 18, 0), tick=False):
            progress_log(user=user, subject_id=subject.pk, minutes=20)
    with time_machine.travel(at(NEW_YORK, 2026, 11, 26, 19, 0), tick=False):
        assert streak_risk_send() == 0  # before 20:00 local
    with time_machine.travel(at(NEW_YORK, 2026, 11, 26, 20, 30), tick=False):
        assert streak_risk_send() == 1
        assert streak_risk_send() == 0
    notification = Notification.objects.get(kind="streak_at_risk")
    assert notification.data["streak_days"] == 2
    assert notification.title == "Keep your 2-day streak"
    with time_machine.travel(at(NEW_YORK, 2026, 11, 26, 21, 0), tick=False):
        progress_log(user=user, subject_id=subject.pk, minutes=10)
    with time_machine.travel(at(NEW_YORK, 2026, 11, 27, 20, 30), tick=False):
        assert streak_risk_send() == 1  # studied on the 26th: the 27th is at risk again


def test_streak_at_risk_waits_until_the_learners_usual_study_hours_have_passed(
    user: User, commit_hooks: Any
) -> None:
    """The rule is personalization's streak risk: `high` once the learner's usual study window
    is over, not at NOTIFICATIONS_STREAK_RISK_HOUR for everyone (that hour is only the
    earliest a push goes out)."""
    from personalization.selectors.profile import streak_risk_get
    from study.services.subjects import subject_create

    user = set_profile(user, timezone="America/New_York")
    subject = subject_create(created_by=user, name="Biology")
    for day in (24, 25):
        with time_machine.travel(at(NEW_YORK, 2026, 11, day, 21, 0), tick=False), commit_hooks():
            progress_log(user=user, subject_id=subject.pk, minutes=40)
    evening = at(NEW_YORK, 2026, 11, 26, 20, 30)
    assert streak_risk_get(user=user, now=evening).level == "medium"
    with time_machine.travel(evening, tick=False):
        assert streak_risk_send() == 0  # past 20:00, but they usually study later
    late = at(NEW_YORK, 2026, 11, 26, 23, 15)
    assert streak_risk_get(user=user, now=late).level == "high"
    with time_machine.travel(late, tick=False):
        assert streak_risk_send() == 1
    notification = Notification.objects.get(kind="streak_at_risk")
    assert notification.data == {"streak_days": 2, "local_date": "2026-11-26"}


# --- weekly digest -------------------------------------------------------------------------------


def test_the_weekly_digest_sums_last_week_on_monday_morning_local(user: User) -> None:
    from notifications.services import digest_send
    from study.services.subjects import subject_create

    user = set_profile(user, timezone="Asia/Seoul", language="en")
    biology = subject_create(created_by=user, name="Biology")
    maths = subject_create(created_by=user, name="Maths")
    # Monday 16 Nov to Sunday 22 Nov 2026 (Seoul); the 23rd belongs to the next week.
    for day, subject, minutes in ((16, biology, 30), (18, maths, 20), (22, biology, 40)):
        with time_machine.travel(at(SEOUL, 2026, 11, day, 20, 0), tick=False):
            progress_log(user=user, subject_id=subject.pk, minutes=minutes)
    with time_machine.travel(at(SEOUL, 2026, 11, 23, 8, 0), tick=False):
        progress_log(user=user, subject_id=maths.pk, minutes=15)
        assert digest_send() == 0  # Monday, but before 09:00
    with time_machine.travel(at(SEOUL, 2026, 11, 23, 9, 30), tick=False):
        assert digest_send() == 1
        assert digest_send() == 0
    digest = Notification.objects.get(kind="weekly_digest")
    assert digest.data == {
        "week_start": "2026-11-16",
        "week_end": "2026-11-22",
        "total_minutes": 90,
        "sessions": 3,
        "subjects": [{"name": "Biology", "minutes": 70}, {"name": "Maths", "minutes": 20}],
    }
    assert "- Biology: 70 min" in digest.body
    with time_machine.travel(at(SEOUL, 2026, 11, 24, 9, 30), tick=False):
        assert digest_send() == 0  # Tuesday
