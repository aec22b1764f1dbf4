"""The personalization section of a learner's data export (`accounts.data_export`)."""

from __future__ import annotations

from typing import Any

from ..models import (
    LearnerAbility,
    LearnerProfile,
    LearnerSkillState,
    ReviewCard,
    ReviewLog,
    ReviewParameters,
)


def personalization_export_for_user(user_id: int) -> dict[str, list[Any]]:
    """What the platform has learned about the learner (the learning-style evidence, abilities
    overall and per subject and skill), their review cards with every rating, and the FSRS
    parameters fitted from those. One query per table."""
    return {
        "learner_profile": list(
            LearnerProfile.objects.filter(user_id=user_id).values(
                "style_weights",
                "style_counts",
                "style_totals",
                "hour_minutes",
                "hour_score_sums",
                "hour_score_counts",
                "observations",
                "evidence_at",
                "updated_at",
            )
        ),
        "abilities": list(
            LearnerAbility.objects.filter(user_id=user_id)
            .order_by("subject_id", "id")
            .values("subject_id", "ability", "n", "recent", "last", "updated_at")
        ),
        "skills": list(
            LearnerSkillState.objects.filter(user_id=user_id)
            .order_by("skill", "id")
            .values("skill", "ability", "n_observations", "recent", "updated_at")
        ),
        "review_cards": list(
            ReviewCard.objects.filter(user_id=user_id)
            .order_by("created_at", "id")
            .values(
                "id",
                "kind",
                "question_id",
                "summary_id",
                "subject_id",
                "concept",
                "context",
                "state",
                "stability",
                "difficulty",
                "due",
                "last_review",
                "reps",
                "lapses",
                "introduced_at",
                "suspended_at",
                "created_at",
            )
        ),
        "review_logs": list(
            ReviewLog.objects.filter(card__user_id=user_id)
            .order_by("reviewed_at", "id")
            .values(
                "card_id",
                "rating",
                "source",
                "state_before",
                "reviewed_at",
                "scheduled_due",
                "stability",
                "difficulty",
            )
        ),
        "review_parameters": list(
            ReviewParameters.objects.filter(user_id=user_id, fitted_at__isnull=False).values(
                "parameters",
                "log_size",
                "scored_ratings",
                "default_loss",
                "fitted_loss",
                "fitted_at",
            )
        ),
    }
