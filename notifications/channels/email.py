"""Email through Django's backend: SMTP from EMAIL_URL, the console when it is unset."""

from __future__ import annotations

import smtplib
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

from ..kinds import BULK_KINDS
from ..links import unsubscribe_url
from ..models import DeliveryAttempt
from .base import PermanentFailure, Skip, TemporaryFailure


def message_id(delivery: DeliveryAttempt) -> str:
    """Stable per delivery, so a re-send after a lost acknowledgement is recognisable."""
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(" >") or "studymate"
    return f"<notification-{delivery.notification_id}-{delivery.pk}@{domain}>"


def unsubscribe_headers(delivery: DeliveryAttempt) -> dict[str, str]:
    """List-Unsubscribe with RFC 8058 one-click for bulk kinds: the mail provider POSTs
    `List-Unsubscribe=One-Click` to the signed link, which turns email off for that kind."""
    notification = delivery.notification
    if notification.kind not in BULK_KINDS:
        return {}
    url = unsubscribe_url(user_id=notification.user_id, kind=notification.kind)
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def build_message(delivery: DeliveryAttempt, address: str) -> EmailMultiAlternatives:
    content = delivery.detail.get("content", {})
    message = EmailMultiAlternatives(
        subject=str(content.get("subject", "")),
        body=str(content.get("text", "")),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address],
        headers={"Message-ID": message_id(delivery), **unsubscribe_headers(delivery)},
    )
    if content.get("html"):
        message.attach_alternative(str(content["html"]), "text/html")
    return message


class EmailSender:
    def send(self, delivery: DeliveryAttempt) -> dict[str, Any]:
        address = delivery.notification.user.email
        if not address:
            raise Skip("the learner has no email address")
        smtp_send(build_message(delivery, address))
        return {"message_id": message_id(delivery)}


def smtp_send(message: EmailMultiAlternatives) -> None:
    """One message through Django's backend; raises TemporaryFailure or PermanentFailure."""
    try:
        connection = get_connection(timeout=settings.EMAIL_TIMEOUT)
        message.connection = connection
        message.send()
    except smtplib.SMTPRecipientsRefused as exc:
        raise PermanentFailure(f"recipient refused: {exc.recipients}") from exc
    except smtplib.SMTPResponseException as exc:
        raise _by_code(exc.smtp_code, exc.smtp_error) from exc
    except (TimeoutError, smtplib.SMTPException, OSError) as exc:
        raise TemporaryFailure(f"smtp: {exc!r}") from exc


def _by_code(code: int, error: bytes | str) -> TemporaryFailure | PermanentFailure:
    text = error.decode(errors="replace") if isinstance(error, bytes) else str(error)
    if 500 <= code < 600:
        return PermanentFailure(f"smtp {code}: {text}")
    return TemporaryFailure(f"smtp {code}: {text}")
