from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..kinds import Kind


class Segment(models.TextChoices):
    ALL_LEARNERS = "all", _("All learners")
    PLAN = "plan", _("Learners on a plan")
    INACTIVE = "inactive", _("Inactive for N days")
    SUBJECT = "subject", _("Learners of a subject")


class BatchStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    RUNNING = "running", _("Running")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class NotificationBatch(models.Model):
    """One kind sent by staff to a segment of learners, in chunks of user ids (keyset order).

    `cursor` is the last user id processed; a chunk is applied only by the worker that finds
    the cursor where it expects it, in one transaction with the counters, so a re-delivered
    chunk task changes nothing.
    """

    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    segment = models.CharField(_("segment"), max_length=16, choices=Segment.choices)
    plan = models.CharField(_("plan (for the plan segment)"), max_length=64, blank=True)
    inactive_days = models.PositiveIntegerField(
        _("days without study (for the inactive segment)"), null=True, blank=True
    )
    subject = models.ForeignKey(
        "study.Subject",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("For the subject segment."),
    )
    context = models.JSONField(_("template context"), default=dict, blank=True)
    channels = models.JSONField(
        _("channels"), default=list, blank=True, help_text=_("Empty: the kind's defaults.")
    )
    scheduled_at = models.DateTimeField(_("scheduled at"))
    status = models.CharField(
        _("status"), max_length=16, choices=BatchStatus.choices, default=BatchStatus.SCHEDULED
    )
    targeted = models.PositiveIntegerField(default=0)
    sent = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    cursor = models.BigIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-scheduled_at", "-id")
        verbose_name_plural = _("notification batches")
        indexes = [models.Index(fields=["status", "scheduled_at"], name="batch_due")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(segment="inactive") | Q(inactive_days__isnull=False),
                name="batch_inactive_needs_days",
            ),
            models.CheckConstraint(
                condition=~Q(segment="subject") | Q(subject__isnull=False),
                name="batch_subject_needs_subject",
            ),
            models.CheckConstraint(
                condition=~Q(segment="plan") | ~Q(plan=""), name="batch_plan_needs_plan"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.segment} at {self.scheduled_at:%Y-%m-%d %H:%M}"

    @property
    def cancelled(self) -> bool:
        return self.status == BatchStatus.CANCELLED
