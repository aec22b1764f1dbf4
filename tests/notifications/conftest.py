"""Fixtures of the notifications tests: seeded templates, Celery in-process, a real SMTP server
on loopback, and the FCM and Twilio stand-ins wired into the settings."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from accounts.models import User
from tests.mailserver import Mailbox as Mailbox  # the notifications tests import it from here
from tests.standins.fcm_api import FCMStandin
from tests.standins.twilio_api import ACCOUNT_SID, AUTH_TOKEN, TwilioStandin

TWILIO_FROM = "+15005550006"


@pytest.fixture(autouse=True)
def _celery_in_process(celery_in_process: None) -> None:
    """Deliveries are Celery tasks: they run in the test's process."""


@pytest.fixture(autouse=True)
def _quiet_defaults(settings: Any) -> None:
    """No channel is configured unless a test wires one; deliveries are due as soon as made."""
    settings.FCM_SERVICE_ACCOUNT = None
    settings.TWILIO_ACCOUNT_SID = ""
    settings.TWILIO_AUTH_TOKEN = ""
    settings.TWILIO_FROM_NUMBER = ""
    settings.NOTIFICATIONS_RETRY_BACKOFF = 30
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 3
    settings.NOTIFICATIONS_HTTP_TIMEOUT = 2


@pytest.fixture
def commit_hooks(django_capture_on_commit_callbacks: Callable[..., Any]) -> Callable[[], Any]:
    return lambda: django_capture_on_commit_callbacks(execute=True)


# --- FCM and Twilio ----------------------------------------------------------------------------


@pytest.fixture
def fcm(settings: Any) -> Iterator[FCMStandin]:
    with FCMStandin() as standin:
        settings.FCM_SERVICE_ACCOUNT = standin.service_account()
        settings.FCM_API_BASE = standin.origin
        yield standin


@pytest.fixture
def twilio(settings: Any) -> Iterator[TwilioStandin]:
    with TwilioStandin() as standin:
        settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
        settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
        settings.TWILIO_FROM_NUMBER = TWILIO_FROM
        settings.TWILIO_API_BASE = standin.base_url
        yield standin


def set_profile(user: User, *, timezone: str = "Asia/Seoul", language: str = "en") -> User:
    user.profile.timezone = timezone
    user.profile.preferred_language = language
    user.profile.save(update_fields=["timezone", "preferred_language"])
    return User.objects.select_related("profile").get(pk=user.pk)
