from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Difficulty(models.TextChoices):
    EASY = "easy", _("Easy")
    MEDIUM = "medium", _("Medium")
    HARD = "hard", _("Hard")


class ShowAnswers(models.TextChoices):
    IMMEDIATELY = "immediately", _("Immediately")
    AFTER_FINISH = "after_finish", _("After finishing")
    NEVER = "never", _("Never")


class QuestionType(models.TextChoices):
    MULTIPLE_CHOICE = "multiple_choice", _("Multiple choice")
    MULTIPLE_SELECT = "multiple_select", _("Multiple select")
    TRUE_FALSE = "true_false", _("True or false")
    SHORT_ANSWER = "short_answer", _("Short answer")
    ESSAY = "essay", _("Essay")


CHOICE_TYPES = frozenset({QuestionType.MULTIPLE_CHOICE, QuestionType.MULTIPLE_SELECT})


class GenerationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


class Quiz(models.Model):
    title = models.CharField(_("title"), max_length=200)
    subject = models.ForeignKey(
        "study.Subject", null=True, blank=True, on_delete=models.SET_NULL, related_name="quizzes"
    )
    # A public quiz outlives its author's erased account (other learners take it): the link is
    # emptied then; a private one is erased with the account.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="quizzes",
    )
    difficulty = models.CharField(max_length=8, choices=Difficulty.choices, default="medium")
    time_limit_minutes = models.PositiveIntegerField(null=True, blank=True)
    is_public = models.BooleanField(default=False)
    shuffle_questions = models.BooleanField(default=False)
    shuffle_choices = models.BooleanField(default=False)
    # Draw this many questions from the pool per attempt; all of them when null.
    questions_per_attempt = models.PositiveIntegerField(null=True, blank=True)
    max_attempts = models.PositiveIntegerField(null=True, blank=True)
    pass_percentage = models.FloatField(default=60.0)
    show_answers = models.CharField(
        max_length=16, choices=ShowAnswers.choices, default=ShowAnswers.AFTER_FINISH
    )
    # A quiz written by hand is ready. One the AI writes (`services.generation`) is pending
    # until its questions are stored, or failed with the error's code and message; until it is
    # ready nobody can take it and nobody but its owner sees it.
    generation_status = models.CharField(
        max_length=8, choices=GenerationStatus.choices, default=GenerationStatus.READY
    )
    generation_error_code = models.CharField(max_length=64, blank=True)
    generation_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name_plural = _("quizzes")
        constraints = [
            models.CheckConstraint(
                condition=Q(pass_percentage__gte=0) & Q(pass_percentage__lte=100),
                name="quiz_pass_percentage_0_100",
            ),
        ]
        indexes = [
            models.Index(fields=["is_public", "-created_at"], name="quiz_public_recent"),
            models.Index(fields=["owner", "-created_at"], name="quiz_owner_recent"),
            models.Index(fields=["subject", "difficulty"], name="quiz_subject_difficulty"),
        ]

    def __str__(self) -> str:
        return self.title


class QuizGeneration(models.Model):
    """The request of a pending AI quiz, for its task: one row while the quiz is pending,
    deleted with the outcome (questions stored, or the quiz marked failed), so the source text
    is kept no longer than the generation needs it. `claim_token` and `claimed_at`: the
    generation lease of the task that took it, renewed while it runs (see
    `services.generation` and `studymate_api.core.leases`)."""

    quiz = models.OneToOneField(
        Quiz, on_delete=models.CASCADE, primary_key=True, related_name="generation"
    )
    source_text = models.TextField()
    num_questions = models.PositiveSmallIntegerField()
    question_types = models.JSONField(default=list)
    provider = models.CharField(max_length=20, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"generation of quiz {self.quiz_id}"


class Question(models.Model):
    """`accepted_answers`: texts for short_answer, `["true"]`/`["false"]` for true_false, an
    optional model answer for essay. `rubric`: for essays, `[{name, points, description?,
    keywords?}]`."""

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="questions")
    question_type = models.CharField(max_length=16, choices=QuestionType.choices)
    text = models.TextField()
    points = models.FloatField(default=1.0)
    difficulty = models.CharField(max_length=8, choices=Difficulty.choices, default="medium")
    explanation = models.TextField(blank=True)
    topics = models.JSONField(default=list, blank=True)
    order = models.PositiveIntegerField(default=0)
    accepted_answers = models.JSONField(default=list, blank=True)
    numeric_tolerance = models.FloatField(null=True, blank=True)
    rubric = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("quiz", "order", "id")
        constraints = [
            models.CheckConstraint(condition=Q(points__gt=0), name="question_points_positive"),
        ]
        indexes = [models.Index(fields=["quiz", "order"], name="question_quiz_order")]

    def __str__(self) -> str:
        return self.text[:60]


class Choice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    text = models.CharField(max_length=300)
    is_correct = models.BooleanField(default=False)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("question", "order", "id")

    def __str__(self) -> str:
        return self.text


class AttemptMode(models.TextChoices):
    FIXED = "fixed", _("Fixed")
    ADAPTIVE = "adaptive", _("Adaptive")


class QuizAttempt(models.Model):
    """`question_order`: the ids of the questions drawn, in the order shown; `choice_order`:
    question id (as a string) to its choice ids in the order shown. Both frozen at start.
    Adaptive attempts (`quiz.adaptive`) freeze the whole pool and serve it one question at a
    time; their `max_score` counts the questions answered."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiz_attempts"
    )
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="attempts")
    mode = models.CharField(max_length=8, choices=AttemptMode.choices, default=AttemptMode.FIXED)
    question_order = models.JSONField(default=list)
    choice_order = models.JSONField(default=dict)
    # An adaptive attempt's start (`quiz.adaptive`): each pool question's predicted log-odds of
    # success then ("logits", by question id) and the standard error its estimate may stop at.
    adaptive_state = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    score = models.FloatField(default=0.0)
    max_score = models.FloatField(default=0.0)
    percentage = models.FloatField(default=0.0)
    passed = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ("-started_at", "-id")
        indexes = [
            models.Index(fields=["user", "-started_at"], name="attempt_user_recent"),
            models.Index(fields=["quiz", "user"], name="attempt_quiz_user"),
            models.Index(fields=["quiz", "finished_at"], name="attempt_quiz_finished"),
        ]

    def __str__(self) -> str:
        return f"attempt {self.pk} of {self.quiz_id} by {self.user_id}"


class GradedBy(models.TextChoices):
    AUTO = "auto", _("Automatic")
    AI = "ai", _("AI")
    MANUAL = "manual", _("Manual")


class AnswerStatus(models.TextChoices):
    GRADED = "graded", _("Graded")
    GRADING = "grading", _("Grading")
    NEEDS_REVIEW = "needs_review", _("Needs review")


# An answer's time is cut at a day: longer is an app left open, not thinking.
MAX_RESPONSE_SECONDS = 24 * 60 * 60


class UserAnswer(models.Model):
    attempt = models.ForeignKey(QuizAttempt, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    answer = models.JSONField(null=True)
    is_correct = models.BooleanField(null=True, blank=True)
    score = models.FloatField(default=0.0)
    feedback = models.TextField(blank=True)
    # Per-criterion feedback of an AI grade: [{criterion, score, max_score, feedback}].
    criteria = models.JSONField(default=list, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    graded_by = models.CharField(max_length=8, choices=GradedBy.choices, blank=True)
    graded_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=AnswerStatus.choices, default=AnswerStatus.GRADED
    )
    # How long the learner took: the app's measure when it sent one, else the time since the
    # attempt's previous answer (or its start). Spaced review rates a fast right answer easy.
    response_seconds = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("attempt", "id")
        constraints = [
            models.UniqueConstraint(fields=["attempt", "question"], name="answer_one_per_question"),
        ]
        indexes = [
            models.Index(fields=["question", "is_correct"], name="answer_question_correct"),
            models.Index(fields=["status"], name="answer_status"),
        ]

    def __str__(self) -> str:
        return f"answer to {self.question_id} in {self.attempt_id}"
