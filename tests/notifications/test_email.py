"""Email over a real SMTP server on loopback: multipart rendering, retries, idempotency."""

from __future__ import annotations

import datetime
from typing import Any

import time_machine
from django.utils import timezone

from accounts.models import User
from notifications.models import DeliveryAttempt, DeliveryStatus
from notifications.services import delivery_due_ids, notify
from notifications.tasks import deliver, deliver_due

from .conftest import Mailbox, set_profile

CONTEXT = {"daily_goal_minutes": 45, "local_date": "2026-11-26"}


def _notify_email(user: User, commit_hooks: Any, **kwargs: Any) -> DeliveryAttempt:
    with commit_hooks():
        notification = notify(
            user=user, kind="goal_reminder", context=CONTEXT, channels=["email"], **kwargs
        )
    return DeliveryAttempt.objects.get(notification=notification, channel="email")


def test_the_rendered_multipart_email_reaches_the_smtp_server(
    user: User, mailbox: Mailbox, commit_hooks: Any
) -> None:
    user = set_profile(user, language="en")
    delivery = _notify_email(user, commit_hooks)

    assert len(mailbox.messages) == 1
    message = mailbox.messages[0]
    assert mailbox.envelopes[0] == ("no-reply@studymate.test", [user.email])
    assert message["Subject"] == "Time to study"
    assert message["To"] == user.email
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None
    assert html is not None
    assert "45 minutes today" in text.get_content()
    assert "<strong>45 minutes</strong>" in html.get_content()
    assert f"Hi {user.first_name}" in text.get_content()
    assert (
        message["Message-ID"]
        == f"<notification-{delivery.notification_id}-{delivery.pk}@studymate.test>"
    )
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 1)
    assert delivery.sent_at is not None


def test_the_learners_language_picks_the_template(
    user: User, mailbox: Mailbox, commit_hooks: Any
) -> None:
    user = set_profile(user, language="ko")
    _notify_email(user, commit_hooks)
    assert mailbox.messages[0]["Subject"] == "공부할 시간입니다"
    body = mailbox.messages[0].get_body(preferencelist=("plain",))
    assert body is not None
    assert "오늘 45분" in body.get_content()


def test_a_missing_language_falls_back_to_english(
    user: User, mailbox: Mailbox, commit_hooks: Any
) -> None:
    from notifications.models import NotificationTemplate

    NotificationTemplate.objects.filter(kind="goal_reminder", language="ko").delete()
    user = set_profile(user, language="ko")
    _notify_email(user, commit_hooks)
    assert mailbox.messages[0]["Subject"] == "Time to study"


def test_a_task_delivered_twice_sends_once(user: User, mailbox: Mailbox, commit_hooks: Any) -> None:
    delivery = _notify_email(user, commit_hooks)
    assert deliver.apply((delivery.pk,)).get() == "not_claimed"
    assert deliver.apply((delivery.pk,)).get() == "not_claimed"
    assert len(mailbox.messages) == 1


def test_a_temporary_smtp_failure_is_retried_after_a_backoff(
    user: User, mailbox: Mailbox, commit_hooks: Any
) -> None:
    mailbox.replies.append("451 4.3.0 Try again later")
    delivery = _notify_email(user, commit_hooks)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.attempts == 1
    assert "451" in delivery.last_error
    assert delivery.scheduled_for > timezone.now() + datetime.timedelta(seconds=25)
    assert mailbox.messages == []
    # Its retry task came too early: nothing is sent before the backoff ends.
    assert deliver.apply((delivery.pk,)).get() == "not_claimed"

    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=31), tick=False):
        assert deliver.apply((delivery.pk,)).get() == "sent"
    assert len(mailbox.messages) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 2)


def test_retries_stop_after_the_last_attempt(
    user: User, mailbox: Mailbox, commit_hooks: Any, settings: Any
) -> None:
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 2
    mailbox.replies.extend(["451 busy", "421 closing"])
    delivery = _notify_email(user, commit_hooks)
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=5), tick=False):
        assert deliver.apply((delivery.pk,)).get() == "failed"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 2)
    assert mailbox.messages == []


def test_a_permanent_smtp_refusal_fails_at_once(
    user: User, mailbox: Mailbox, commit_hooks: Any
) -> None:
    mailbox.replies.append("550 5.1.1 Mailbox does not exist")
    delivery = _notify_email(user, commit_hooks)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 1)
    assert "550" in delivery.last_error


def test_a_worker_killed_mid_send_is_resent_once_after_the_lease(
    user: User, mailbox: Mailbox, settings: Any
) -> None:
    """The row stays `sending` with a claim nobody will settle; the sweep finds it only after
    the lease, and the re-send is recorded so no third send happens."""
    notification = notify(user=user, kind="goal_reminder", context=CONTEXT, channels=["email"])
    delivery = DeliveryAttempt.objects.get(notification=notification)
    DeliveryAttempt.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.SENDING, claimed_at=timezone.now(), attempts=1
    )
    assert deliver.apply((delivery.pk,)).get() == "not_claimed"
    assert delivery_due_ids() == []

    later = timezone.now() + datetime.timedelta(seconds=settings.NOTIFICATIONS_CLAIM_LEASE + 1)
    with time_machine.travel(later, tick=False):
        assert delivery_due_ids() == [delivery.pk]
        assert deliver_due.apply().get() == 1
        assert deliver_due.apply().get() == 0
    assert len(mailbox.messages) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 2)


def test_email_without_smtp_goes_to_the_console(
    user: User, commit_hooks: Any, settings: Any, capsys: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    delivery = _notify_email(user, commit_hooks)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    printed = capsys.readouterr().out
    assert f"To: {user.email}" in printed
    assert f"Message-ID: <notification-{delivery.notification_id}-{delivery.pk}@" in printed
