"""A real SMTP server on loopback (aiosmtpd) for tests that send mail: the `mailbox` fixture.

Test modules that need it import the fixture (`from tests.mailserver import mailbox`); the
notifications tests get it from their conftest."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from studymate_api.settings.notifications import email_config


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

    def to(self, address: str) -> list[EmailMessage]:
        """The messages whose envelope went to `address`, in the order received."""
        with self.lock:
            return [
                message
                for message, (_sender, recipients) in zip(
                    self.messages, self.envelopes, strict=True
                )
                if address in recipients
            ]


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
