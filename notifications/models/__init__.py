from .batches import BatchStatus, NotificationBatch, Segment
from .devices import Device, Platform
from .notifications import DeliveryAttempt, DeliveryStatus, Notification
from .preferences import NotificationPreference
from .templates import NotificationTemplate, TemplateLanguage

__all__ = [
    "BatchStatus",
    "DeliveryAttempt",
    "DeliveryStatus",
    "Device",
    "Notification",
    "NotificationBatch",
    "NotificationPreference",
    "NotificationTemplate",
    "Platform",
    "Segment",
    "TemplateLanguage",
]
