"""Kinds sent on a clock in each learner's time zone: goal reminders, streak at risk, the weekly
digest. Beat runs each scan every few minutes; `dedup_key` (per local date or week) makes a
learner hear each at most once however often the scan runs or overlaps."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone

from personalization.selectors.profile import streak_risk_get
from study.selectors import (
    learner_ids_on_streak,
    learner_ids_studied_on_or_after,
    learner_reminder,
    learners_with_reminder,
    local_date,
    study_week,
)

from ..kinds import Kind
from .recipients import recipient_for
from .sending import notify_recipient

if TYPE_CHECKING:
    from accounts.models import User

_SCAN_CHUNK = 500


def _learners() -> QuerySet[Any]:
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .select_related("profile", "notification_preference")
    )


def _in_chunks(users: QuerySet[Any]) -> Iterator[User]:
    return users.order_by("pk").iterator(chunk_size=_SCAN_CHUNK)


# --- goal reminders -----------------------------------------------------------------------------


def reminders_send(*, now: datetime.datetime | None = None) -> int:
    """Learners whose StudySettings.reminder_time, in their time zone, fell within the last
    two scan windows (a late beat still finds it; the dedup key keeps it to once a local day)."""
    now = now or timezone.now()
    lookback = datetime.timedelta(minutes=2 * settings.NOTIFICATIONS_REMINDER_WINDOW_MINUTES)
    sent = 0
    # Study's selector joins its settings into this one query (per chunk).
    for user in _in_chunks(learners_with_reminder(_learners())):
        recipient = recipient_for(user)
        reminder = learner_reminder(user)
        day = reminder_due_on(now, recipient.zone, reminder.time, lookback)
        if day is None:
            continue
        context = {
            "daily_goal_minutes": reminder.daily_goal_minutes,
            "local_date": day.isoformat(),
        }
        _notification, created = notify_recipient(
            recipient, kind=Kind.GOAL_REMINDER, context=context, dedup_key=f"goal_reminder:{day}"
        )
        sent += created
    return sent


def reminder_due_on(
    now: datetime.datetime,
    zone: Any,
    reminder: datetime.time,
    lookback: datetime.timedelta,
) -> datetime.date | None:
    """The local date whose reminder moment lies in (now - lookback, now], if any (yesterday's
    counts too, for a reminder just before local midnight)."""
    today = local_date(now, zone)
    for day in (today, today - datetime.timedelta(days=1)):
        moment = datetime.datetime.combine(day, reminder, tzinfo=zone)
        if now - lookback < moment <= now:
            return day
    return None


# --- streak at risk -----------------------------------------------------------------------------


def streak_risk_send(*, now: datetime.datetime | None = None) -> int:
    """From NOTIFICATIONS_STREAK_RISK_HOUR local time: learners whose streak risk is `high` by
    personalization's rule (a streak runs, no study today, the hours they usually study have
    passed), so the push says what their profile analysis says."""
    now = now or timezone.now()
    recent = now.date() - datetime.timedelta(days=2)
    users = _learners().filter(pk__in=learner_ids_on_streak(studied_since=recent))
    sent = 0
    for user in _in_chunks(users):
        recipient = recipient_for(user)
        local_now = now.astimezone(recipient.zone)
        if local_now.hour < settings.NOTIFICATIONS_STREAK_RISK_HOUR:
            continue
        risk = streak_risk_get(user=user, now=now)
        if risk.level != "high":
            continue
        context = {
            "streak_days": risk.current_streak_days,
            "local_date": local_now.date().isoformat(),
        }
        _notification, created = notify_recipient(
            recipient,
            kind=Kind.STREAK_AT_RISK,
            context=context,
            dedup_key=f"streak_at_risk:{local_now.date()}",
        )
        sent += created
    return sent


# --- weekly digest ------------------------------------------------------------------------------


def digest_send(*, now: datetime.datetime | None = None) -> int:
    """On the digest weekday from the digest hour (local): last week's study, Monday to
    Sunday, to every learner who studied in it."""
    now = now or timezone.now()
    studied = learner_ids_studied_on_or_after(day=now.date() - datetime.timedelta(days=15))
    users = _learners().filter(pk__in=studied)
    sent = 0
    for user in _in_chunks(users):
        recipient = recipient_for(user)
        local_now = now.astimezone(recipient.zone)
        if (
            local_now.weekday() != settings.NOTIFICATIONS_DIGEST_WEEKDAY
            or local_now.hour < settings.NOTIFICATIONS_DIGEST_HOUR
        ):
            continue
        this_monday = local_now.date() - datetime.timedelta(days=local_now.weekday())
        context = study_week(user=user, week_start=this_monday - datetime.timedelta(days=7))
        if not context["total_minutes"]:
            continue
        _notification, created = notify_recipient(
            recipient,
            kind=Kind.WEEKLY_DIGEST,
            context=context,
            dedup_key=f"weekly_digest:{context['week_start']}",
        )
        sent += created
    return sent
