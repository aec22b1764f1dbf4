"""Spaced-review cards scheduled with FSRS, the log of every review, and each learner's FSRS
parameters fitted from that log.

A card's scheduling fields are exactly those of `fsrs.Card` (state, step, stability,
difficulty, due, last_review), so `personalization.services.reviews` converts both ways without
loss. `reps`/`lapses` are counted by us: the reviews, and the reviews rated "again" after the
card had graduated (as Anki counts lapses). A card with no review yet is new; the due queue
introduces at most the learner's `new_cards_per_day` of them a day (`introduced_at`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ReviewKind(models.TextChoices):
    QUESTION = "question", _("Question answered wrong")
    CONCEPT = "concept", _("Key concept of a summary")


class ReviewState(models.IntegerChoices):
    """fsrs.State's values."""

    LEARNING = 1, _("Learning")
    REVIEW = 2, _("Review")
    RELEARNING = 3, _("Relearning")


class ReviewRating(models.IntegerChoices):
    """fsrs.Rating's values."""

    AGAIN = 1, _("Again")
    HARD = 2, _("Hard")
    GOOD = 3, _("Good")
    EASY = 4, _("Easy")


class ReviewSource(models.TextChoices):
    REVIEW = "review", _("Rated in a review")
    QUIZ = "quiz", _("Answered in a quiz")


class ReviewCard(models.Model):
    """What one learner reviews: a question they got wrong, or a key concept of a summary."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_cards"
    )
    kind = models.CharField(max_length=16, choices=ReviewKind.choices)
    question = models.ForeignKey(
        "quiz.Question", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    summary = models.ForeignKey(
        "study.StudySummary", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    subject = models.ForeignKey(
        "study.Subject", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    concept = models.CharField(max_length=200, blank=True)
    # casefolded `concept`: one card per concept per subject, however the summaries spell it.
    concept_key = models.CharField(max_length=200, blank=True)
    # The summary's sentence that mentions the concept: the back of the card.
    context = models.TextField(blank=True)
    state = models.PositiveSmallIntegerField(
        choices=ReviewState.choices, default=ReviewState.LEARNING
    )
    step = models.PositiveSmallIntegerField(null=True, blank=True, default=0)
    stability = models.FloatField(null=True, blank=True)
    difficulty = models.FloatField(null=True, blank=True)
    due = models.DateTimeField()
    last_review = models.DateTimeField(null=True, blank=True)
    reps = models.PositiveIntegerField(default=0)
    lapses = models.PositiveIntegerField(default=0)
    # The first review: the card stopped being new (counted against that day's new-card limit).
    introduced_at = models.DateTimeField(null=True, blank=True)
    # Suspended cards are left out of the due queue and of quiz answers' reviews.
    suspended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("due", "id")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "question"],
                condition=Q(kind="question"),
                name="review_card_one_per_question",
            ),
            models.UniqueConstraint(
                fields=["user", "subject", "concept_key"],
                condition=Q(kind="concept"),
                name="review_card_one_per_concept",
            ),
            models.CheckConstraint(
                condition=(Q(kind="question") & Q(question__isnull=False))
                | (Q(kind="concept") & ~Q(concept_key="")),
                name="review_card_has_source",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "due"], name="review_card_user_due"),
            models.Index(fields=["user", "introduced_at"], name="review_card_user_introduced"),
        ]

    def __str__(self) -> str:
        source = self.question_id if self.kind == ReviewKind.QUESTION else self.concept
        return f"{self.kind} card {source} of {self.user_id}"


class ReviewLog(models.Model):
    """One rating of a card and what FSRS scheduled from it."""

    card = models.ForeignKey(ReviewCard, on_delete=models.CASCADE, related_name="logs")
    rating = models.PositiveSmallIntegerField(choices=ReviewRating.choices)
    source = models.CharField(
        max_length=16, choices=ReviewSource.choices, default=ReviewSource.REVIEW
    )
    state_before = models.PositiveSmallIntegerField(choices=ReviewState.choices)
    reviewed_at = models.DateTimeField()
    scheduled_due = models.DateTimeField()
    stability = models.FloatField(null=True, blank=True)
    difficulty = models.FloatField(null=True, blank=True)
    desired_retention = models.FloatField()

    class Meta:
        ordering = ("card", "reviewed_at", "id")
        indexes = [models.Index(fields=["card", "reviewed_at"], name="review_log_card_time")]

    def __str__(self) -> str:
        return f"rating {self.rating} of card {self.card_id} at {self.reviewed_at:%Y-%m-%d %H:%M}"


class ReviewParameters(models.Model):
    """One learner's FSRS-6 parameters, fitted from their own review log by a Celery task
    (`tasks.fit_review_parameters`, `personalization.memory.fit_parameters`) once it holds
    `services.reviews.MIN_FIT_RATINGS` scored ratings; the scheduler uses them instead of the
    defaults. `claimed_at`: a fit in progress (the claim that keeps a second one out)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_parameters"
    )
    # 21 floats within fsrs's bounds; empty until a fit succeeds (the defaults apply).
    parameters = models.JSONField(default=list, blank=True)
    # The log the fit saw: every rating, and those it scored (a day or more after the previous).
    log_size = models.PositiveIntegerField(default=0)
    scored_ratings = models.PositiveIntegerField(default=0)
    # Mean log loss on those scored ratings (in-sample) of the defaults and of the fit.
    default_loss = models.FloatField(null=True, blank=True)
    fitted_loss = models.FloatField(null=True, blank=True)
    fitted_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = _("review parameters")

    def __str__(self) -> str:
        return f"FSRS parameters of {self.user_id}"
