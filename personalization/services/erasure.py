"""Erasing a learner's model when their account is erased (accounts' AccountErasureDue,
`personalization.subscribers`)."""

from __future__ import annotations

from django.db import transaction

from ..models import LearnerAbility, LearnerProfile, LearnerSkillState, ReviewCard


@transaction.atomic
def personalization_erase_for_user(*, user_id: int) -> None:
    """Deletes the learner model (abilities, skill states, the learning-style profile and its
    study-time patterns) and the review cards with their review log. Item difficulties stay:
    they are a statistic of the questions over every learner and name nobody. Running it again
    finds nothing."""
    for model in (LearnerAbility, LearnerSkillState, LearnerProfile, ReviewCard):
        model.objects.filter(user_id=user_id).delete()
