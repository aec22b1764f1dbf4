"""The observed side of the learner profile: decayed evidence of content-format preference
and of when the learner studies and scores best.

Every accumulator is a sum of observations weighted by 0.5 ** (age / half-life), stored as of
`evidence_at`: a new observation first decays the stored sums to its own time, then adds itself
(see `personalization.services.profile`). Readers decay them on to now without writing.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

HOURS_PER_DAY = 24


def _zeros_per_hour() -> list[float]:
    return [0.0] * HOURS_PER_DAY


def _empty_styles() -> dict[str, float]:
    return {}


class LearnerProfile(models.Model):
    """One per learner, created by their first observed activity."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="learner_profile"
    )
    # style -> decayed preference weight (engagement x outcome) of its observations.
    style_weights = models.JSONField(default=_empty_styles, blank=True)
    # style -> decayed number of observations: the evidence counts behind the weights.
    style_counts = models.JSONField(default=_empty_styles, blank=True)
    # style -> number of observations ever (not decayed), for the analysis page.
    style_totals = models.JSONField(default=_empty_styles, blank=True)
    # Local hour of day (0-23) -> decayed minutes studied starting in that hour.
    hour_minutes = models.JSONField(default=_zeros_per_hour, blank=True)
    # Local hour of day -> decayed sum of outcomes (0..1) and their decayed count.
    hour_score_sums = models.JSONField(default=_zeros_per_hour, blank=True)
    hour_score_counts = models.JSONField(default=_zeros_per_hour, blank=True)
    observations = models.PositiveIntegerField(default=0)
    evidence_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"learner profile of {self.user_id}"


class ProcessedActivity(models.Model):
    """Claims one observed activity (an event, a learning session) for the profile update: a
    redelivered event or a repeated call finds its claim and changes nothing."""

    key = models.CharField(max_length=120, unique=True)
    processed_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"processed {self.key}"
