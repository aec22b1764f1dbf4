"""Registering and retiring push tokens."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from studymate_api.core.errors import NotFound

from ..models import Device

if TYPE_CHECKING:
    from accounts.models import User


def device_register(*, user: User, token: str, platform: str) -> tuple[Device, bool]:
    """Idempotent per token: registering a known token refreshes it (and reactivates it); a
    token registered by another account moves to this one, since a device signs in as one
    learner at a time. Returns the device and whether it was new."""
    fields = {"user": user, "platform": platform, "active": True, "last_seen": timezone.now()}
    for _attempt in range(2):
        try:
            with transaction.atomic():
                device, created = Device.objects.update_or_create(token=token, defaults=fields)
                return device, created
        except IntegrityError:
            continue  # two first registrations raced; the second now finds the row
    raise IntegrityError("device registration kept conflicting")


def device_unregister(*, user: User, token: str) -> None:
    """Another learner's token is not found, like an unknown one."""
    deleted, _rows = Device.objects.filter(user=user, token=token).delete()
    if not deleted:
        raise NotFound(_("Device not found."))


def device_deactivate(*, device_id: int) -> None:
    """FCM said the token is unregistered or invalid: stop using it."""
    Device.objects.filter(pk=device_id, active=True).update(active=False)
