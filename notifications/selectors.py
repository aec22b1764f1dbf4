"""Every read of the notifications domain; ownership is built in (another's row is not found)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from studymate_api.core.errors import NotFound

from .links import unsubscribe_token_read
from .models import Device, Notification, NotificationPreference

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


# --- data export --------------------------------------------------------------------------------


def notifications_export_for_user(user_id: int) -> dict[str, list[Any]]:
    """The notifications section of a learner's data export (`accounts.data_export`): their
    inbox, their preferences and their registered devices. One query per table."""
    return {
        "notifications": list(
            Notification.objects.filter(user_id=user_id)
            .order_by("created_at", "id")
            .values("id", "kind", "title", "body", "data", "language", "read_at", "created_at")
        ),
        "preferences": list(
            NotificationPreference.objects.filter(user_id=user_id).values(
                "in_app_enabled",
                "email_enabled",
                "push_enabled",
                "sms_enabled",
                "quiet_hours_start",
                "quiet_hours_end",
                "types",
                "phone_number",
                "updated_at",
            )
        ),
        "devices": list(
            Device.objects.filter(user_id=user_id)
            .order_by("created_at", "id")
            .values("platform", "token", "active", "last_seen", "created_at")
        ),
    }


def unsubscribe_status(*, token: str) -> dict[str, Any]:
    """What an unsubscribe link would turn off, and whether email of that kind is on now; reads
    only (a mail scanner's GET must change nothing). A bad token: 400 on `token`."""
    from .services.preferences import channel_enabled

    user_id, kind = unsubscribe_token_read(token)
    preference = NotificationPreference.objects.filter(user_id=user_id).first()
    enabled = channel_enabled(preference or NotificationPreference(), kind, "email")
    return {"kind": kind, "email_enabled": enabled}
