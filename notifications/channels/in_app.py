"""In-app: pushed at once to the learner's open WebSockets through the channel layer.

The learner's sockets share the realtime app's per-learner group; its consumers pass every
`realtime.event` envelope to the client as is, here `{"type": "notification", ...}`.
"""

from __future__ import annotations

from typing import Any

from realtime.services.push import learner_push

from ..models import DeliveryAttempt
from .base import Skip, TemporaryFailure


def notification_event(delivery: DeliveryAttempt) -> dict[str, Any]:
    notification = delivery.notification
    return {
        "type": "notification",
        "notification": {
            "id": notification.pk,
            "kind": notification.kind,
            "title": notification.title,
            "body": notification.body,
            "data": notification.data,
            "read_at": None,
            "created_at": notification.created_at.isoformat(),
        },
    }


class InAppSender:
    def send(self, delivery: DeliveryAttempt) -> dict[str, Any]:
        user_id = delivery.notification.user_id
        try:
            group = learner_push(user_id=user_id, event=notification_event(delivery))
        except (OSError, TimeoutError) as exc:
            raise TemporaryFailure(f"channel layer: {exc}") from exc
        if group is None:
            raise Skip("no channel layer is configured")
        return {"group": group}
