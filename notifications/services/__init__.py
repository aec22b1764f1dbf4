"""Every write of the notifications domain. Other apps call `notify` from here."""

from .batches import (
    BatchPreview,
    batch_cancel,
    batch_due_ids,
    batch_preview,
    batch_process_chunk,
    batch_start,
    batch_targets,
)
from .delivery import DeliveryResult, deliveries_purge, delivery_due_ids, delivery_run
from .devices import device_deactivate, device_register, device_unregister
from .inbox import notification_mark_all_read, notification_mark_read
from .preferences import (
    channel_enabled,
    preference_ensure,
    preference_unsubscribe,
    preference_update,
)
from .scheduled import digest_send, reminders_send, streak_risk_send
from .sending import notify

__all__ = [
    "BatchPreview",
    "DeliveryResult",
    "batch_cancel",
    "batch_due_ids",
    "batch_preview",
    "batch_process_chunk",
    "batch_start",
    "batch_targets",
    "channel_enabled",
    "deliveries_purge",
    "delivery_due_ids",
    "delivery_run",
    "device_deactivate",
    "device_register",
    "device_unregister",
    "digest_send",
    "notification_mark_all_read",
    "notification_mark_read",
    "notify",
    "preference_ensure",
    "preference_unsubscribe",
    "preference_update",
    "reminders_send",
    "streak_risk_send",
]
