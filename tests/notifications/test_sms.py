"""SMS through the Twilio stand-in: the request Twilio expects, retries, permanent errors."""

from __future__ import annotations

import datetime
from typing import Any

import time_machine
from django.utils import timezone

from accounts.models import User
from notifications.models import DeliveryAttempt, DeliveryStatus
from notifications.services import notify, preference_update
from notifications.tasks import deliver
from tests.standins.twilio_api import TwilioStandin

from .conftest import TWILIO_FROM, set_profile

CONTEXT = {"amount": "$9.99", "plan": "Pro"}


def _notify_sms(user: User, commit_hooks: Any) -> DeliveryAttempt:
    with commit_hooks():
        notification = notify(user=user, kind="payment_failed", context=CONTEXT, channels=["sms"])
    return DeliveryAttempt.objects.get(notification=notification, channel="sms")


def _with_phone(user: User) -> User:
    preference_update(user=user, data={"sms_enabled": True, "phone_number": "+821012345678"})
    return set_profile(user, language="en")


def test_sms_reaches_twilio_as_its_api_expects(
    user: User, twilio: TwilioStandin, commit_hooks: Any
) -> None:
    user = _with_phone(user)
    twilio.enqueue(twilio.message())
    delivery = _notify_sms(user, commit_hooks)

    assert len(twilio.requests) == 1
    form = twilio.form(twilio.last)
    assert form == {
        "To": "+821012345678",
        "From": TWILIO_FROM,
        "Body": "StudyMate: your payment of $9.99 failed. Please update your card.",
    }
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.detail["sid"].startswith("SM")


def test_rate_limited_sms_is_retried(user: User, twilio: TwilioStandin, commit_hooks: Any) -> None:
    user = _with_phone(user)
    twilio.enqueue(twilio.error(429, 20429, "Too Many Requests"))
    delivery = _notify_sms(user, commit_hooks)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)

    twilio.enqueue(twilio.message())
    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=31), tick=False):
        assert deliver.apply((delivery.pk,)).get() == "sent"
    assert len(twilio.requests) == 2


def test_an_invalid_number_fails_without_retrying(
    user: User, twilio: TwilioStandin, commit_hooks: Any
) -> None:
    user = _with_phone(user)
    twilio.enqueue(twilio.error(400, 21211, "Invalid 'To' Phone Number"))
    delivery = _notify_sms(user, commit_hooks)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 1)
    assert "21211" in delivery.last_error


def test_wrong_credentials_are_a_permanent_failure(
    user: User, twilio: TwilioStandin, commit_hooks: Any, settings: Any
) -> None:
    user = _with_phone(user)
    settings.TWILIO_AUTH_TOKEN = "wrong"
    delivery = _notify_sms(user, commit_hooks)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert "20003" in delivery.last_error


def test_without_a_number_or_configuration_sms_is_skipped(
    user: User, twilio: TwilioStandin, commit_hooks: Any, settings: Any
) -> None:
    preference_update(user=user, data={"sms_enabled": True})
    delivery = _notify_sms(user, commit_hooks)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_error) == (
        DeliveryStatus.SKIPPED,
        "the learner has no phone number",
    )
    settings.TWILIO_ACCOUNT_SID = ""
    with commit_hooks():
        notify(user=user, kind="payment_failed", context=CONTEXT, channels=["sms"])
    latest = DeliveryAttempt.objects.latest("id")
    assert latest.status == DeliveryStatus.SKIPPED
    assert "not configured" in latest.last_error
    assert twilio.requests == []


def test_sms_is_off_by_default(user: User, twilio: TwilioStandin, commit_hooks: Any) -> None:
    delivery = _notify_sms(user, commit_hooks)
    assert delivery.status == DeliveryStatus.SKIPPED
    assert delivery.last_error == "disabled in the learner's preferences"
    assert twilio.requests == []
