"""Writes of a learner's notification preferences, and the channel rules they imply."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction

from ..caching import preferences_invalidate_on_commit
from ..links import unsubscribe_token_read
from ..models import NotificationPreference

if TYPE_CHECKING:
    from accounts.models import User

PREFERENCE_FIELDS = (
    "in_app_enabled",
    "email_enabled",
    "push_enabled",
    "sms_enabled",
    "quiet_hours_start",
    "quiet_hours_end",
    "types",
    "phone_number",
)


def preference_ensure(*, user: User) -> NotificationPreference:
    """The learner's preferences, created with the defaults on first access."""
    preference, _created = NotificationPreference.objects.get_or_create(user=user)
    return preference


@transaction.atomic
def preference_update(*, user: User, data: dict[str, Any]) -> NotificationPreference:
    """`data` holds any of PREFERENCE_FIELDS, already validated; the others keep their values."""
    preference = NotificationPreference.objects.select_for_update().filter(user=user).first()
    preference = preference or NotificationPreference.objects.create(user=user)
    changed = [name for name in PREFERENCE_FIELDS if name in data]
    for name in changed:
        setattr(preference, name, data[name])
    if changed:
        preference.save(update_fields=[*changed, "updated_at"])
        preferences_invalidate_on_commit(user.pk)
    return preference


@transaction.atomic
def preference_unsubscribe(*, token: str) -> tuple[str, NotificationPreference]:
    """Turns email off for the kind an unsubscribe token names (RFC 8058 one-click): the
    per-kind override gets `email: false`, its other channels stay as they were. Idempotent.
    A bad token, or one of an account that is gone, is a 400 and changes nothing."""
    user_id, kind = unsubscribe_token_read(token)
    preference = NotificationPreference.objects.select_for_update().filter(user_id=user_id).first()
    preference = preference or NotificationPreference.objects.create(user_id=user_id)
    types = dict(preference.types) if isinstance(preference.types, dict) else {}
    override = types.get(kind)
    if override is False:
        return kind, preference
    types[kind] = {**(override if isinstance(override, dict) else {}), "email": False}
    preference.types = types
    preference.save(update_fields=["types", "updated_at"])
    preferences_invalidate_on_commit(user_id)
    return kind, preference


def channel_enabled(preference: NotificationPreference, kind: str, channel: str) -> bool:
    """The per-kind override wins over the channel switch: `types[kind]` is false (every channel
    off) or `{channel: bool}`."""
    override = preference.types.get(kind) if isinstance(preference.types, dict) else None
    if override is False:
        return False
    if isinstance(override, dict) and isinstance(override.get(channel), bool):
        return bool(override[channel])
    return bool(getattr(preference, f"{channel}_enabled", False))
