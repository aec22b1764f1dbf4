from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationPreference(models.Model):
    """One per learner, created with these defaults on first access.

    `in_app_enabled` governs the live push to open apps; the inbox keeps every notification.
    `types` overrides channels per kind: `{"goal_reminder": {"email": false}, "announcement":
    false}` (false alone turns every channel of that kind off). Quiet hours are local times in
    the learner's profile time zone; equal start and end mean none. The SMS number lives here
    because SMS is the only thing that uses it; it is stored in E.164.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    in_app_enabled = models.BooleanField(_("in-app"), default=True)
    email_enabled = models.BooleanField(_("email"), default=True)
    push_enabled = models.BooleanField(_("push"), default=True)
    sms_enabled = models.BooleanField(_("SMS"), default=False)
    quiet_hours_start = models.TimeField(_("quiet hours start"), null=True, blank=True)
    quiet_hours_end = models.TimeField(_("quiet hours end"), null=True, blank=True)
    types = models.JSONField(_("per-kind overrides"), default=dict, blank=True)
    phone_number = models.CharField(_("phone number (E.164)"), max_length=20, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"notification preferences of {self.user_id}"
