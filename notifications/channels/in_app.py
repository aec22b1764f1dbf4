"""In-app: pushed at once to the learner's open WebSockets through the channel layer.

The learner's sockets share the realtime app's per-learner group; its consumers pass every
`realtime.event` envelope to the client as is, here `{"type": "notification", ...}`.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from realtime.broadcast import layer_message, learner_group

from ..models import DeliveryAttempt
from .base import Skip, TemporaryFailure


def user_group(user_id: int) -> str:
    return learner_group(user_id)


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
        layer = get_channel_layer()
        if layer is None:
            raise Skip("no channel layer is configured")
        group = user_group(delivery.notification.user_id)
        try:
            async_to_sync(layer.group_send)(group, layer_message(notification_event(delivery)))
        except (OSError, TimeoutError) as exc:
            raise TemporaryFailure(f"channel layer: {exc}") from exc
        return {"group": group}
