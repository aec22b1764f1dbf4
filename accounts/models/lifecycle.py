"""Accounts models: lifecycle."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# --- data export -------------------------------------------------------------------------------


class DataExportStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    PROCESSING = "processing", _("Processing")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired")


def data_export_file_name(export: DataExport, _filename: str) -> str:
    """Where the zip goes in the default storage: a random name, so that storage served in
    public (a bucket behind a CDN) still gives nothing away; downloads go through the signed
    link (`services.export`)."""
    return f"data-exports/{export.user_id}/{secrets.token_urlsafe(24)}.zip"


class DataExport(models.Model):
    """A copy of everything the account owns, as a zip built by a task (`services.export`).

    `claimed_at` is the build lease: the task that sets it with a conditional UPDATE on a
    pending row (or on a processing row whose lease ran out: its worker died) builds the file.
    A ready export is downloadable until `expires_at`; then its file is deleted and the row is
    `expired`. Rows are pruned some time after (ACCOUNTS_DATA_EXPORT_ROW_RETENTION_DAYS).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_exports"
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=DataExportStatus.choices,
        default=DataExportStatus.PENDING,
    )
    file = models.FileField(_("file"), upload_to=data_export_file_name, blank=True, max_length=200)
    size = models.PositiveBigIntegerField(_("size in bytes"), default=0)
    # Scheme and host of the request that asked for it: the emailed link points there.
    site = models.CharField(max_length=200, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("link expires at"), null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [
            models.Index(fields=["user", "-created_at"], name="dataexport_user_recent"),
            # The sweep: ready ones past their expiry, stale pending or processing ones.
            models.Index(
                fields=["status", "expires_at"],
                condition=Q(status__in=["pending", "processing", "ready"]),
                name="dataexport_live",
            ),
        ]
        verbose_name = _("data export")
        verbose_name_plural = _("data exports")

    def __str__(self) -> str:
        return f"data export {self.pk} of {self.user_id} ({self.status})"


# --- deletion ----------------------------------------------------------------------------------


class AccountDeletionState(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    CANCELED = "canceled", _("Canceled")
    ERASING = "erasing", _("Erasing")
    ERASED = "erased", _("Erased")


# The states in which the account is on its way out: at most one such request per user.
PENDING_DELETION_STATES = (AccountDeletionState.SCHEDULED, AccountDeletionState.ERASING)


class AccountDeletion(models.Model):
    """One request to delete an account (`services.deletion`).

    scheduled -> canceled (the learner signed in again and cancelled within the grace period),
    or scheduled -> erasing (the beat task claimed it once `scheduled_for` passed, with a
    conditional UPDATE, and recorded AccountErasureDue: every app erases its part) -> erased
    (accounts erased its own part and deleted the user row last). The erased row stays, with
    `user` emptied, as the record that an erasure happened and when; it holds nothing about
    the person.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deletion_requests",
    )
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=AccountDeletionState.choices,
        default=AccountDeletionState.SCHEDULED,
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    scheduled_for = models.DateTimeField(_("erased after"))
    canceled_at = models.DateTimeField(_("canceled at"), null=True, blank=True)
    erasure_started_at = models.DateTimeField(_("erasure started at"), null=True, blank=True)
    # The AccountErasureDue event: erasure ends once every subscriber has had it.
    erasure_event_id = models.BigIntegerField(null=True, blank=True)
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True)

    class Meta:
        ordering = ("-requested_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(state__in=["scheduled", "erasing"]),
                name="accountdeletion_one_pending",
            ),
        ]
        indexes = [
            # The beat task: scheduled ones that are due, and erasures waiting for subscribers.
            models.Index(
                fields=["state", "scheduled_for"],
                condition=Q(state__in=["scheduled", "erasing"]),
                name="accountdeletion_due",
            ),
        ]
        verbose_name = _("account deletion")
        verbose_name_plural = _("account deletions")

    def __str__(self) -> str:
        return f"deletion {self.pk} of {self.user_id} ({self.state})"
