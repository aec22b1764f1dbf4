from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Platform(models.TextChoices):
    IOS = "ios", "iOS"
    ANDROID = "android", "Android"
    WEB = "web", _("Web")


class Device(models.Model):
    """A push token (FCM registration token; iOS apps register their APNs token through FCM).

    A token belongs to one learner at a time: registering it again from another account moves it.
    A token FCM reports as unregistered or invalid is deactivated and no longer used.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="devices"
    )
    token = models.CharField(_("token"), max_length=512, unique=True)
    platform = models.CharField(_("platform"), max_length=16, choices=Platform.choices)
    active = models.BooleanField(_("active"), default=True)
    last_seen = models.DateTimeField(_("last seen"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-last_seen", "-id")
        indexes = [models.Index(fields=["user", "active"], name="device_user_active")]

    def __str__(self) -> str:
        return f"{self.platform} device of {self.user_id}"
