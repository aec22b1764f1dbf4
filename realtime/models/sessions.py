"""Live learning sessions: one row per session, its final report once it ended.

While a session is active its live state (analyzer state, heartbeat) is in the cache — Redis
when REDIS_URL is set — and this row only says it exists; the database guarantees one active
session per learner and subject. Ending writes the report here.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class SessionStatus(models.TextChoices):
    ACTIVE = "active", _("active")
    ENDED = "ended", _("ended")


class EndReason(models.TextChoices):
    USER = "user", _("ended by the learner")
    INACTIVE = "inactive", _("ended after inactivity")


class LearningSession(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="learning_sessions"
    )
    subject = models.ForeignKey(
        "study.Subject", on_delete=models.CASCADE, related_name="learning_sessions"
    )
    goal_minutes = models.PositiveSmallIntegerField(_("goal minutes"), null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=SessionStatus.choices, default=SessionStatus.ACTIVE
    )
    end_reason = models.CharField(max_length=10, choices=EndReason.choices, blank=True)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    # The report (set when the session ends).
    duration_minutes = models.FloatField(default=0.0)
    focus_score = models.FloatField(default=0.0)
    pace = models.FloatField(default=0.0)
    efficiency = models.FloatField(default=0.0)
    interruptions = models.PositiveIntegerField(default=0)
    answers = models.PositiveIntegerField(default=0)
    correct_answers = models.PositiveIntegerField(default=0)
    notes = models.PositiveIntegerField(default=0)
    events = models.PositiveIntegerField(default=0)
    feedback = models.JSONField(default=list, blank=True)
    minutes_logged = models.PositiveIntegerField(default=0)  # study progress credited

    class Meta:
        ordering = ("-started_at",)
        indexes = [
            models.Index(fields=["user", "-started_at"], name="learnsession_user_recent"),
            models.Index(fields=["status", "started_at"], name="learnsession_status_started"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "subject"],
                condition=Q(status="active"),
                name="learnsession_one_active_per_subject",
            ),
            models.CheckConstraint(
                condition=Q(focus_score__gte=0) & Q(focus_score__lte=100),
                name="learnsession_focus_0_100",
            ),
        ]

    def __str__(self) -> str:
        return f"learning session {self.pk} ({self.status})"
