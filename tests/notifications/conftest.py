"""Fixtures of the notifications tests: seeded templates, Celery in-process, a real SMTP server
on loopback, and the FCM and Twilio stand-ins wired into the settings."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from accounts.models import User
from studymate_api.settings.notifications import email_config
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


# --- SMTP -------------------------------------------------------------------------------------


@dataclass
class Mailbox:
    """What the SMTP server accepted; `replies` scripts the next DATA answers (else 250)."""

    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            if self.replies:
                return self.replies.pop(0)
            message = message_from_bytes(envelope.content, policy=policy.default)
            self.messages.append(message)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def mailbox(settings: Any) -> Iterator[Mailbox]:
    """A real SMTP server on loopback; the settings are what EMAIL_URL=smtp://127.0.0.1:port
    gives."""
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=_free_port())
    controller.start()
    for name, value in email_config(f"smtp://127.0.0.1:{controller.port}").items():
        setattr(settings, name, value)
    settings.DEFAULT_FROM_EMAIL = "StudyMate <no-reply@studymate.test>"
    try:
        yield box
    finally:
        controller.stop()


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
