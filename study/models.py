from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# Longest study time one log may record: a whole day.
MAX_LOG_MINUTES = 1440
MIN_POMODORO, MAX_POMODORO = 5, 120
# Spaced review (FSRS) aims at this chance of still recalling a card when it falls due. Below
# 0.8 forgetting costs more relearning than the longer intervals save; above 0.97 the workload
# grows steeply for little more recall.
MIN_DESIRED_RETENTION, MAX_DESIRED_RETENTION = 0.8, 0.97
# New review cards introduced per learner-local day (Anki's default is 20; 0 stops new cards).
DEFAULT_NEW_CARDS_PER_DAY, MAX_NEW_CARDS_PER_DAY = 20, 1000


class DifficultyLevel(models.TextChoices):
    BEGINNER = "beginner", _("Beginner")
    INTERMEDIATE = "intermediate", _("Intermediate")
    ADVANCED = "advanced", _("Advanced")


class Subject(models.Model):
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    category = models.CharField(_("category"), max_length=100, blank=True)
    difficulty_level = models.CharField(
        _("difficulty level"),
        max_length=16,
        choices=DifficultyLevel.choices,
        default=DifficultyLevel.BEGINNER,
    )
    is_public = models.BooleanField(_("public"), default=False)
    # A public subject outlives its author's erased account (other learners study it): the
    # link is emptied then; a private one is erased with the account.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="subjects",
    )
    tags = models.JSONField(_("tags"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("name", "id")
        indexes = [
            models.Index(fields=["is_public", "name"], name="subject_public_name"),
            models.Index(fields=["created_by", "name"], name="subject_owner_name"),
            models.Index(fields=["category", "is_public"], name="subject_category_public"),
        ]

    def __str__(self) -> str:
        return self.name


class SummaryType(models.TextChoices):
    BRIEF = "brief", _("Brief")
    DETAILED = "detailed", _("Detailed")
    BULLET_POINTS = "bullet_points", _("Bullet points")
    KEY_CONCEPTS = "key_concepts", _("Key concepts")


class SummaryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    COMPLETED = "completed", _("Completed")
    FAILED = "failed", _("Failed")


class StudySummary(models.Model):
    """An AI summary of study material.

    `claim_token` and `claimed_at` are the generation lease (`studymate_api.core.leases`):
    whoever sets them on a pending row with a conditional UPDATE (the Celery task or the
    streaming endpoint) is the only one that calls the model, and renews `claimed_at` while it
    does.
    """

    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="summaries")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="study_summaries"
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    content = models.TextField(_("source content"))
    # sha256 of `content`: an identical request that already completed is answered from its
    # summary instead of being generated (and charged) again.
    content_hash = models.CharField(max_length=64, blank=True, default="")
    summary = models.TextField(_("summary"), blank=True)
    summary_type = models.CharField(_("summary type"), max_length=16, choices=SummaryType.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=SummaryStatus.choices, default=SummaryStatus.PENDING
    )
    # What the learner asked for (or their settings' preference); `provider` is who answered.
    requested_provider = models.CharField(max_length=16, blank=True)
    provider = models.CharField(_("provider"), max_length=16, blank=True)
    model = models.CharField(_("model"), max_length=100, blank=True)
    tokens_used = models.PositiveIntegerField(_("tokens used"), default=0)
    error_code = models.CharField(max_length=64, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name_plural = _("study summaries")
        indexes = [
            models.Index(fields=["user", "-created_at"], name="summary_user_recent"),
            models.Index(fields=["user", "subject", "-created_at"], name="summary_user_subject"),
            models.Index(fields=["subject", "user"], name="summary_subject_user"),
            models.Index(fields=["user", "content_hash"], name="summary_user_content_hash"),
        ]

    def __str__(self) -> str:
        return self.title or f"summary {self.pk}"


class StudyProgress(models.Model):
    """A learner's totals in one subject, updated by every logged study time.

    `last_study_date` is the learner's local date of the latest log and `streak_days` the run of
    consecutive local days with study ending on it; readers show 0 once that run is broken.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="study_progress"
    )
    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="progress")
    total_study_minutes = models.PositiveIntegerField(default=0)
    sessions_count = models.PositiveIntegerField(default=0)
    completion_percentage = models.FloatField(default=0.0)
    last_studied_at = models.DateTimeField(null=True, blank=True)
    last_study_date = models.DateField(null=True, blank=True)
    streak_days = models.PositiveIntegerField(default=0)
    longest_streak_days = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-last_studied_at", "-id")
        verbose_name_plural = _("study progress")
        constraints = [
            models.UniqueConstraint(fields=["user", "subject"], name="progress_one_per_subject"),
            models.CheckConstraint(
                condition=Q(completion_percentage__gte=0) & Q(completion_percentage__lte=100),
                name="progress_completion_0_100",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-last_studied_at"], name="progress_user_recent"),
        ]

    def __str__(self) -> str:
        return f"progress of {self.user_id} in {self.subject_id}"


class StudyLog(models.Model):
    """One logged stretch of study time: the source of totals, streaks and goal progress."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="study_logs"
    )
    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="study_logs")
    minutes = models.PositiveSmallIntegerField()
    topics_covered = models.JSONField(default=list, blank=True)
    studied_at = models.DateTimeField()
    # The learner's calendar day at `studied_at`, in their time zone when it was logged.
    local_date = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-studied_at", "-id")
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes__gte=1) & Q(minutes__lte=MAX_LOG_MINUTES),
                name="studylog_minutes_1_1440",
            ),
        ]
        indexes = [
            models.Index(
                fields=["user", "subject", "-local_date"], name="studylog_user_subject_day"
            ),
            models.Index(fields=["user", "studied_at"], name="studylog_user_time"),
        ]

    def __str__(self) -> str:
        return f"{self.minutes} min of {self.subject_id} by {self.user_id} on {self.local_date}"


class GoalStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    COMPLETED = "completed", _("Completed")
    ABANDONED = "abandoned", _("Abandoned")


class StudyGoal(models.Model):
    """Minutes to study by a date, in one subject or (without one) in any.

    `logged_minutes` counts study logged since the goal was created; logging updates it.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="study_goals"
    )
    subject = models.ForeignKey(
        Subject, null=True, blank=True, on_delete=models.CASCADE, related_name="goals"
    )
    title = models.CharField(_("title"), max_length=200)
    target_minutes = models.PositiveIntegerField(_("target minutes"))
    target_date = models.DateField(_("target date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=GoalStatus.choices, default=GoalStatus.ACTIVE
    )
    logged_minutes = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = [
            models.CheckConstraint(condition=Q(target_minutes__gte=1), name="goal_target_positive"),
        ]
        indexes = [
            models.Index(fields=["user", "status", "-created_at"], name="goal_user_status"),
            models.Index(fields=["user", "subject", "status"], name="goal_user_subject"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def progress_percentage(self) -> float:
        return round(min(100.0, 100.0 * self.logged_minutes / self.target_minutes), 1)


class AIProviderChoice(models.TextChoices):
    LOCAL = "local", _("Local (offline)")
    OPENAI = "openai", "OpenAI"
    ANTHROPIC = "anthropic", "Anthropic"
    TOGETHER = "together", "Together"


class StudySettings(models.Model):
    """One per learner, created with these defaults on first access."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="study_settings"
    )
    daily_goal_minutes = models.PositiveSmallIntegerField(default=30)
    preferred_difficulty = models.CharField(
        max_length=16, choices=DifficultyLevel.choices, default=DifficultyLevel.BEGINNER
    )
    preferred_ai_provider = models.CharField(
        max_length=16, choices=AIProviderChoice.choices, default=AIProviderChoice.LOCAL
    )
    reminder_time = models.TimeField(null=True, blank=True)
    pomodoro_minutes = models.PositiveSmallIntegerField(default=25)
    desired_retention = models.FloatField(default=0.9)
    new_cards_per_day = models.PositiveSmallIntegerField(default=DEFAULT_NEW_CARDS_PER_DAY)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = _("study settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(daily_goal_minutes__gte=1) & Q(daily_goal_minutes__lte=MAX_LOG_MINUTES),
                name="settings_daily_goal_range",
            ),
            models.CheckConstraint(
                condition=Q(pomodoro_minutes__gte=MIN_POMODORO)
                & Q(pomodoro_minutes__lte=MAX_POMODORO),
                name="settings_pomodoro_range",
            ),
            models.CheckConstraint(
                condition=Q(desired_retention__gte=MIN_DESIRED_RETENTION)
                & Q(desired_retention__lte=MAX_DESIRED_RETENTION),
                name="settings_desired_retention_range",
            ),
            models.CheckConstraint(
                condition=Q(new_cards_per_day__lte=MAX_NEW_CARDS_PER_DAY),
                name="settings_new_cards_per_day_range",
            ),
        ]

    def __str__(self) -> str:
        return f"study settings of {self.user_id}"
