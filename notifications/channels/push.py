"""Push through FCM HTTP v1 (iOS apps register their APNs token through FCM as well).

The service account (FCM_SERVICE_ACCOUNT_JSON or _FILE) signs an OAuth2 assertion with
google-auth and exchanges it at the key's `token_uri`; the access token is reused until it
nearly expires. Each active device of the learner gets one `messages:send`; devices already
reached are remembered in the delivery's detail so a retry does not reach them twice.

A device is deactivated only when FCM says its token is dead (`dead_token`): 404 UNREGISTERED,
or INVALID_ARGUMENT about the token itself. FCM answers INVALID_ARGUMENT to a bad payload too
(a data key it reserves, a message too big...), and then the message is at fault, not the
device: the attempt fails like any other error and the device stays active.
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
FCM_ERROR_TYPE = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
BAD_REQUEST_TYPE = "type.googleapis.com/google.rpc.BadRequest"
# The field a BadRequest detail names when the target token is at fault.
REGISTRATION_FIELD = "message.token"
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
    status, error = response.status_code, _error(response)
    code = _error_code(error)
    if dead_token(status, error):
        from ..services.devices import device_deactivate

        device_deactivate(device_id=device.pk)
        return False
    if status == 401:
        forget_token(token)
    if status == 429 or status >= 500 or status == 401:
        retry_after = retry_after_seconds(response.headers.get("retry-after"))
        raise TemporaryFailure(f"fcm {status} {code}", retry_after=retry_after, detail=progress)
    raise PermanentFailure(f"fcm {status} {code}: {response.text[:300]}", detail=progress)


def _error(response: httpx.Response) -> dict[str, Any]:
    try:
        error = response.json().get("error", {})
    except (ValueError, AttributeError):
        return {}
    return error if isinstance(error, dict) else {}


def _details(error: dict[str, Any], type_: str) -> list[dict[str, Any]]:
    details = error.get("details") or []
    return [d for d in details if isinstance(d, dict) and d.get("@type") == type_]


def _error_code(error: dict[str, Any]) -> str:
    """FCM's `errorCode` from the error details, else the error's `status`."""
    for detail in _details(error, FCM_ERROR_TYPE):
        if detail.get("errorCode"):
            return str(detail["errorCode"])
    return str(error.get("status", ""))


def dead_token(status: int, error: dict[str, Any]) -> bool:
    """Whether FCM's error means the registration token will never work again.

    UNREGISTERED (404): the app was uninstalled or the token expired. INVALID_ARGUMENT (400)
    only when it is about the token: a `google.rpc.BadRequest` detail whose field violation
    names `message.token`, or, without field violations (how FCM answers a malformed token),
    the error message speaking of the registration token. A field violation naming any other
    field, or an INVALID_ARGUMENT message about something else, is a bad payload.
    """
    code = _error_code(error)
    if code == "UNREGISTERED":
        return status == 404
    if code != "INVALID_ARGUMENT" or status != 400:
        return False
    fields = [
        str(violation.get("field", ""))
        for detail in _details(error, BAD_REQUEST_TYPE)
        for violation in detail.get("fieldViolations") or []
        if isinstance(violation, dict)
    ]
    if fields:
        return all(field == REGISTRATION_FIELD for field in fields)
    return "registration token" in str(error.get("message", "")).lower()
