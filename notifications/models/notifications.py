from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..kinds import Channel, Kind


class Notification(models.Model):
    """One message to one learner: their in-app inbox entry and the anchor of its deliveries."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("body"))
    data = models.JSONField(_("data"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    language = models.CharField(_("language"), max_length=8, default="en")
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # Collapses repeats: a second notify with the same key for the same learner adds nothing.
    dedup_key = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001 - NULL is "no key"
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "dedup_key"],
                condition=Q(dedup_key__isnull=False),
                name="notification_user_dedup",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notification_user_recent"),
            models.Index(
                fields=["user"], condition=Q(read_at__isnull=True), name="notification_unread"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.user_id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    SKIPPED = "skipped", _("Skipped")
    FAILED = "failed", _("Failed")


class DeliveryAttempt(models.Model):
    """Delivery of one notification over one channel.

    A sender claims the row with a conditional UPDATE (pending and due, or sending with an
    expired lease → sending, `claimed_at` = now). The lease is NOTIFICATIONS_CLAIM_LEASE
    seconds: a worker killed mid-send leaves the row `sending`, and only after the lease has run
    out may another worker claim it and send again. See `services.delivery`.
    """

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    # Not before this moment: the end of quiet hours, or the next retry after a backoff.
    scheduled_for = models.DateTimeField(_("scheduled for"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error / reason"), max_length=1000, blank=True)
    # What the provider answered (message ids, devices already reached) for retries and audit.
    detail = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("notification", "channel")
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "channel"], name="delivery_one_per_channel"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "scheduled_for"], name="delivery_due"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} of {self.notification_id}: {self.status}"
