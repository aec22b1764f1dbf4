"""Marking in-app notifications read."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import timezone

from ..models import Notification
from ..selectors import notification_get

if TYPE_CHECKING:
    from accounts.models import User


def notification_mark_read(*, user: User, notification_id: int) -> Notification:
    """Idempotent: a notification read before keeps its first `read_at`."""
    notification = notification_get(user=user, notification_id=notification_id)
    if notification.read_at is None:
        now = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        notification.refresh_from_db(fields=["read_at"])
    return notification


def notification_mark_all_read(*, user: User) -> int:
    """How many were unread."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    return unread.update(read_at=timezone.now())
