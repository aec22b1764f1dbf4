"""SMS through Twilio's REST API (`Messages.json`), to the E.164 number in the preferences."""

from __future__ import annotations

from typing import Any

import httpx
from django.conf import settings

from ..models import DeliveryAttempt, NotificationPreference
from .base import PermanentFailure, Skip, TemporaryFailure, retry_after_seconds

# Twilio error codes that no retry fixes: invalid or unreachable number, opted out, not mobile.
PERMANENT_CODES = frozenset({21211, 21214, 21408, 21610, 21612, 21614})


def messages_url() -> str:
    sid = settings.TWILIO_ACCOUNT_SID
    return f"{settings.TWILIO_API_BASE}/2010-04-01/Accounts/{sid}/Messages.json"


class SmsSender:
    def send(self, delivery: DeliveryAttempt) -> dict[str, Any]:
        if not (settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN):
            raise Skip("SMS is not configured (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN)")
        if not settings.TWILIO_FROM_NUMBER:
            raise Skip("SMS is not configured (TWILIO_FROM_NUMBER)")
        number = (
            NotificationPreference.objects.filter(user_id=delivery.notification.user_id)
            .values_list("phone_number", flat=True)
            .first()
        )
        if not number:
            raise Skip("the learner has no phone number")
        body = {
            "To": number,
            "From": settings.TWILIO_FROM_NUMBER,
            "Body": str(delivery.detail.get("content", {}).get("body", "")),
        }
        auth = (settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN)
        try:
            response = httpx.post(
                messages_url(), data=body, auth=auth, timeout=settings.NOTIFICATIONS_HTTP_TIMEOUT
            )
        except httpx.HTTPError as exc:
            raise TemporaryFailure(f"twilio: {exc!r}") from exc
        return _outcome(response)


def _outcome(response: httpx.Response) -> dict[str, Any]:
    try:
        payload = response.json()
    except ValueError:
        payload = {}
    if response.is_success:
        return {"sid": payload.get("sid", ""), "status": payload.get("status", "")}
    status, code = response.status_code, payload.get("code")
    message = f"twilio {status} {code}: {payload.get('message', '')}"
    if status == 429 or status >= 500:
        retry_after = retry_after_seconds(response.headers.get("retry-after"))
        raise TemporaryFailure(message, retry_after=retry_after)
    if code in PERMANENT_CODES or 400 <= status < 500:
        raise PermanentFailure(message)
    raise TemporaryFailure(message)
