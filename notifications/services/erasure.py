"""Erasing what notifications hold about a learner when their account is erased (accounts'
AccountErasureDue, `notifications.subscribers`)."""

from __future__ import annotations

from django.db import transaction

from ..kinds import Kind
from ..models.devices import Device
from ..models.notifications import Notification
from ..models.preferences import NotificationPreference


@transaction.atomic
def notifications_erase_for_user(*, user_id: int) -> None:
    """Deletes the learner's notifications with their delivery attempts (which hold the address,
    device token or number each went to), devices and preferences (the phone number), and the
    room invitations other learners got from them (they carry the inviter's name). Deliveries
    still queued for them find their rows gone and do nothing. Running it again finds nothing.
    """
    Notification.objects.filter(user_id=user_id).delete()
    Notification.objects.filter(kind=Kind.ROOM_INVITATION, data__inviter_id=user_id).delete()
    Device.objects.filter(user_id=user_id).delete()
    NotificationPreference.objects.filter(user_id=user_id).delete()
