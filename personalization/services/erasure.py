"""Erasing a learner's model when their account is erased (accounts' AccountErasureDue,
`personalization.subscribers`)."""

from __future__ import annotations

from django.db import transaction

from ..models import (
    LearnerAbility,
    LearnerProfile,
    LearnerSkillState,
    ReviewCard,
    ReviewParameters,
)


@transaction.atomic
def personalization_erase_for_user(*, user_id: int) -> None:
    """Deletes the learner model (abilities, skill states, the learning-style profile and its
    study-time patterns), the review cards with their review log and the FSRS parameters fitted
    from it. Item difficulties stay:
    they are a statistic of the questions over every learner and name nobody. Running it again
    finds nothing."""
    for model in (LearnerAbility, LearnerSkillState, LearnerProfile, ReviewCard, ReviewParameters):
        model.objects.filter(user_id=user_id).delete()
