"""Channel senders, by channel name."""

from __future__ import annotations

from ..kinds import Channel
from .base import PermanentFailure, Sender, Skip, TemporaryFailure
from .email import EmailSender
from .in_app import InAppSender, notification_event
from .push import PushSender
from .sms import SmsSender

SENDERS: dict[str, Sender] = {
    Channel.IN_APP: InAppSender(),
    Channel.EMAIL: EmailSender(),
    Channel.PUSH: PushSender(),
    Channel.SMS: SmsSender(),
}

__all__ = [
    "SENDERS",
    "PermanentFailure",
    "Sender",
    "Skip",
    "TemporaryFailure",
    "notification_event",
]
