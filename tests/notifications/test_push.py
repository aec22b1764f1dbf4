"""Push through the FCM HTTP v1 stand-in: OAuth2 with the service account, message shape,
retries on 503/429, deactivation of dead tokens, skipping when unconfigured."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from accounts.models import User
from notifications.models import DeliveryAttempt, DeliveryStatus, Device
from notifications.services import device_register, notify
from notifications.tasks import deliver
from tests.standins.fcm_api import SEND_PATH, FCMStandin

from .conftest import set_profile

CONTEXT = {"streak_days": 6, "local_date": "2026-11-26"}


def _notify_push(user: User, commit_hooks: Any) -> DeliveryAttempt:
    with commit_hooks():
        notification = notify(user=user, kind="streak_at_risk", context=CONTEXT, channels=["push"])
    return DeliveryAttempt.objects.get(notification=notification, channel="push")


def test_push_reaches_fcm_with_an_oauth_token_from_the_service_account(
    user: User, fcm: FCMStandin, commit_hooks: Any
) -> None:
    user = set_profile(user, language="en")
    device, _ = device_register(user=user, token="fcm-token-android-1", platform="android")
    fcm.enqueue(fcm.sent())
    delivery = _notify_push(user, commit_hooks)

    assert len(fcm.token_requests) == 1
    assert len(fcm.messages) == 1
    request = fcm.messages[0]
    assert request.path == SEND_PATH
    assert request.headers["authorization"] == f"Bearer {fcm.issued_tokens[0]}"
    message = request.json["message"]
    assert message["token"] == "fcm-token-android-1"
    assert message["notification"] == {
        "title": "Keep your 6-day streak",
        "body": "Study today to keep your 6-day streak.",
    }
    assert message["data"] == {
        "notification_id": str(delivery.notification_id),
        "kind": "streak_at_risk",
    }
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.detail["reached"] == [device.pk]


def test_the_access_token_is_reused_across_sends(
    user: User, fcm: FCMStandin, commit_hooks: Any
) -> None:
    device_register(user=user, token="ios-apns-through-fcm", platform="ios")
    fcm.enqueue(fcm.sent(), fcm.sent())
    _notify_push(user, commit_hooks)
    with commit_hooks():
        notify(user=user, kind="summary_ready", context={"summary_title": "T"}, channels=["push"])
    assert len(fcm.messages) == 2
    assert len(fcm.token_requests) == 1


def test_unavailable_is_retried_and_reached_devices_are_not_sent_twice(
    user: User, fcm: FCMStandin, commit_hooks: Any
) -> None:
    first, _ = device_register(user=user, token="token-a", platform="android")
    device_register(user=user, token="token-b", platform="web")
    # Devices go newest first: token-b succeeds, token-a is unavailable, then succeeds.
    fcm.enqueue(fcm.sent(), fcm.error(503, "UNAVAILABLE", retry_after=40))
    delivery = _notify_push(user, commit_hooks)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.attempts == 1
    assert len(delivery.detail["reached"]) == 1
    # Retry-After (40 s) wins over the 30 s backoff.
    assert delivery.scheduled_for >= timezone.now() + datetime.timedelta(seconds=39)

    fcm.enqueue(fcm.sent())
    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=41), tick=False):
        assert deliver.apply((delivery.pk,)).get() == "sent"
    tokens = [r.json["message"]["token"] for r in fcm.messages]
    assert sorted(tokens) == ["token-a", "token-a", "token-b"]
    assert tokens.count("token-b") == 1
    delivery.refresh_from_db()
    assert sorted(delivery.detail["reached"]) == sorted([first.pk, delivery.detail["reached"][0]])


def test_an_unregistered_token_is_deactivated_and_not_used_again(
    user: User, fcm: FCMStandin, commit_hooks: Any
) -> None:
    dead, _ = device_register(user=user, token="stale-token", platform="android")
    fcm.enqueue(fcm.unregistered())
    delivery = _notify_push(user, commit_hooks)
    dead.refresh_from_db()
    assert dead.active is False
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.detail["deactivated"] == [dead.pk]

    with commit_hooks():
        notify(user=user, kind="summary_ready", context={"summary_title": "T"}, channels=["push"])
    assert len(fcm.messages) == 1  # nothing left to send to
    latest = DeliveryAttempt.objects.filter(channel="push").latest("id")
    assert (latest.status, latest.last_error) == (
        DeliveryStatus.SKIPPED,
        "the learner has no active device",
    )


@pytest.mark.parametrize("with_field", [False, True], ids=["message", "field-violation"])
def test_an_invalid_token_is_deactivated_while_others_still_get_it(
    user: User, fcm: FCMStandin, commit_hooks: Any, with_field: bool
) -> None:
    good, _ = device_register(user=user, token="good-token", platform="android")
    bad, _ = device_register(user=user, token="bad-token", platform="ios")
    fcm.enqueue(fcm.invalid_token(with_field=with_field), fcm.sent())
    delivery = _notify_push(user, commit_hooks)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert Device.objects.get(pk=bad.pk).active is False
    assert Device.objects.get(pk=good.pk).active is True


def test_a_bad_payload_fails_the_attempt_and_keeps_the_device(
    user: User, fcm: FCMStandin, commit_hooks: Any
) -> None:
    """INVALID_ARGUMENT about the message, not the token: the device is not to blame."""
    device, _ = device_register(user=user, token="healthy-token", platform="android")
    fcm.enqueue(fcm.bad_payload("message.data[0].key", "Invalid data key: 'from'"))
    delivery = _notify_push(user, commit_hooks)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert "INVALID_ARGUMENT" in delivery.last_error
    device.refresh_from_db()
    assert device.active is True
    assert delivery.detail.get("deactivated", []) == []


@pytest.mark.parametrize(
    "reply",
    [
        # INVALID_ARGUMENT with no word about the token, and a 404 that is not UNREGISTERED
        # (a wrong project in the URL): neither says the token is dead.
        lambda fcm: fcm.error(
            400, "INVALID_ARGUMENT", message="Request contains an invalid argument."
        ),
        lambda fcm: fcm.error(404, "NOT_FOUND", message="Requested entity was not found."),
        lambda fcm: fcm.error(403, "SENDER_ID_MISMATCH"),
    ],
    ids=["invalid-argument-without-token", "not-found", "sender-id-mismatch"],
)
def test_other_errors_leave_the_device_active(
    user: User, fcm: FCMStandin, commit_hooks: Any, reply: Callable[[FCMStandin], Any]
) -> None:
    device, _ = device_register(user=user, token="healthy-token", platform="android")
    fcm.enqueue(reply(fcm))
    delivery = _notify_push(user, commit_hooks)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    device.refresh_from_db()
    assert device.active is True


def test_a_server_error_is_retried_and_the_device_stays_active(
    user: User, fcm: FCMStandin, commit_hooks: Any
) -> None:
    device, _ = device_register(user=user, token="healthy-token", platform="android")
    fcm.enqueue(fcm.error(500, "INTERNAL"))
    delivery = _notify_push(user, commit_hooks)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)
    device.refresh_from_db()
    assert device.active is True


def test_push_is_skipped_with_a_reason_when_fcm_is_not_configured(
    user: User, commit_hooks: Any
) -> None:
    device_register(user=user, token="some-token", platform="android")
    delivery = _notify_push(user, commit_hooks)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SKIPPED
    assert "not configured" in delivery.last_error


def test_an_unreachable_token_endpoint_is_a_temporary_failure(
    user: User, commit_hooks: Any, settings: Any
) -> None:
    with FCMStandin() as standin:
        info = standin.service_account()
    # The stand-in is gone: nothing listens at its token URI any more.
    settings.FCM_SERVICE_ACCOUNT = info
    settings.FCM_API_BASE = info["token_uri"].removesuffix("/token")
    device_register(user=user, token="t", platform="android")
    delivery = _notify_push(user, commit_hooks)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)
    assert "oauth" in delivery.last_error


def test_a_refused_access_token_is_replaced_on_the_retry(
    user: User, fcm: FCMStandin, commit_hooks: Any
) -> None:
    device_register(user=user, token="t", platform="android")
    fcm.enqueue(fcm.error(401, "UNAUTHENTICATED"), fcm.sent())
    delivery = _notify_push(user, commit_hooks)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=31), tick=False):
        assert deliver.apply((delivery.pk,)).get() == "sent"
    assert len(fcm.token_requests) == 2
    assert fcm.messages[-1].headers["authorization"] == f"Bearer {fcm.issued_tokens[1]}"
