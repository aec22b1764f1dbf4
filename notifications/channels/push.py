"""Push through FCM HTTP v1 (iOS apps register their APNs token through FCM as well).

The service account (FCM_SERVICE_ACCOUNT_JSON or _FILE) signs an OAuth2 assertion with
google-auth and exchanges it at the key's `token_uri`; the access token is reused until it
nearly expires. Each active device of the learner gets one `messages:send`; devices already
reached are remembered in the delivery's detail so a retry does not reach them twice. A token FCM
calls UNREGISTERED or INVALID_ARGUMENT is deactivated.
"""

from __future__ import annotations

import threading
from typing import Any

import google.auth.exceptions
import httpx
from django.conf import settings
from google.oauth2 import service_account

from ..models import DeliveryAttempt, Device
from .base import PermanentFailure, Skip, TemporaryFailure, retry_after_seconds
from .google_transport import HttpxRequest

SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
DEAD_TOKEN_CODES = frozenset({"UNREGISTERED", "INVALID_ARGUMENT"})
_credentials_lock = threading.Lock()
_credentials: dict[tuple[str, str], service_account.Credentials] = {}


def access_token(info: dict[str, Any]) -> str:
    """A valid OAuth2 access token for the service account, refreshed when (nearly) expired."""
    key = (str(info["client_email"]), str(info["token_uri"]))
    with _credentials_lock:
        credentials = _credentials.get(key)
        if credentials is None:
            credentials = service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
                info, scopes=[SCOPE]
            )
            _credentials[key] = credentials
        if not credentials.valid:
            credentials.refresh(HttpxRequest(timeout=settings.NOTIFICATIONS_HTTP_TIMEOUT))
        return str(credentials.token)


def forget_token(token: str) -> None:
    """FCM refused the token (401): the next send signs a fresh assertion."""
    with _credentials_lock:
        for key, credentials in list(_credentials.items()):
            if credentials.token == token:
                del _credentials[key]


def fcm_message(token: str, content: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    return {
        "message": {
            "token": token,
            "notification": {"title": content.get("title", ""), "body": content.get("body", "")},
            # FCM data values must be strings.
            "data": {str(k): str(v) for k, v in data.items()},
            "apns": {"payload": {"aps": {"sound": "default"}}},
        }
    }


NOT_CONFIGURED = "push is not configured (FCM_SERVICE_ACCOUNT_JSON)"


class PushSender:
    def unavailable(self) -> str | None:
        """Why no push can go out at all (`notify` then records the delivery skipped at once,
        with no task), or None."""
        return None if settings.FCM_SERVICE_ACCOUNT else NOT_CONFIGURED

    def send(self, delivery: DeliveryAttempt) -> dict[str, Any]:
        info = settings.FCM_SERVICE_ACCOUNT
        if not info:
            raise Skip(NOT_CONFIGURED)
        reached: list[int] = list(delivery.detail.get("reached", []))
        devices = [
            d
            for d in Device.objects.filter(user_id=delivery.notification.user_id, active=True)
            if d.pk not in reached
        ]
        if not devices and not reached:
            raise Skip("the learner has no active device")
        token = _token(info)
        dead: list[int] = list(delivery.detail.get("deactivated", []))
        url = f"{settings.FCM_API_BASE}/v1/projects/{info['project_id']}/messages:send"
        with httpx.Client(timeout=settings.NOTIFICATIONS_HTTP_TIMEOUT) as client:
            for device in devices:
                progress = {**delivery.detail, "reached": reached, "deactivated": dead}
                if _send_one(client, url, token, device, delivery, progress):
                    reached.append(device.pk)
                else:
                    dead.append(device.pk)
        if not reached:
            raise PermanentFailure("every device token was rejected", detail={"deactivated": dead})
        return {"reached": reached, "deactivated": dead}


def _token(info: dict[str, Any]) -> str:
    try:
        return access_token(info)
    except google.auth.exceptions.TransportError as exc:
        raise TemporaryFailure(f"fcm oauth: {exc}") from exc
    except google.auth.exceptions.RefreshError as exc:
        if getattr(exc, "retryable", False):
            raise TemporaryFailure(f"fcm oauth: {exc}") from exc
        raise PermanentFailure(f"fcm oauth refused the service account: {exc}") from exc


def _send_one(
    client: httpx.Client,
    url: str,
    token: str,
    device: Device,
    delivery: DeliveryAttempt,
    progress: dict[str, Any],
) -> bool:
    """True when FCM accepted it, False when the token is dead (now deactivated)."""
    content = delivery.detail.get("content", {})
    data = {"notification_id": delivery.notification_id, "kind": delivery.notification.kind}
    try:
        response = client.post(
            url,
            json=fcm_message(device.token, content, data),
            headers={"Authorization": f"Bearer {token}"},
        )
    except httpx.HTTPError as exc:
        raise TemporaryFailure(f"fcm: {exc!r}", detail=progress) from exc
    if response.is_success:
        return True
    status, code = response.status_code, _error_code(response)
    if code in DEAD_TOKEN_CODES or status == 404:
        from ..services.devices import device_deactivate

        device_deactivate(device_id=device.pk)
        return False
    if status == 401:
        forget_token(token)
    if status == 429 or status >= 500 or status == 401:
        retry_after = retry_after_seconds(response.headers.get("retry-after"))
        raise TemporaryFailure(f"fcm {status} {code}", retry_after=retry_after, detail=progress)
    raise PermanentFailure(f"fcm {status} {code}: {response.text[:300]}", detail=progress)


def _error_code(response: httpx.Response) -> str:
    """FCM's `errorCode` from the error details, else the error's `status`."""
    try:
        error = response.json().get("error", {})
    except ValueError:
        return ""
    for detail in error.get("details", []) or []:
        if isinstance(detail, dict) and detail.get("errorCode"):
            return str(detail["errorCode"])
    return str(error.get("status", ""))
