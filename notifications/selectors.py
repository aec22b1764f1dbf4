"""Every read of the notifications domain; ownership is built in (another's row is not found)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from studymate_api.core.errors import NotFound

from .models import Device, Notification

if TYPE_CHECKING:
    from accounts.models import User


def notification_list(*, user: User, unread: bool | None = None) -> QuerySet[Notification]:
    notifications = Notification.objects.filter(user=user).order_by("-created_at", "-id")
    if unread is not None:
        notifications = notifications.filter(read_at__isnull=unread)
    return notifications


def notification_get(*, user: User, notification_id: int) -> Notification:
    notification = Notification.objects.filter(user=user, pk=notification_id).first()
    if notification is None:
        raise NotFound(_("Notification not found."))
    return notification


def notification_unread_count(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def device_list(*, user: User) -> QuerySet[Device]:
    return Device.objects.filter(user=user).order_by("-last_seen", "-id")
