"""Erasing a learner's study data when their account is erased (accounts' AccountErasureDue,
`study.subscribers`)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from ..caching import LEARNERS_TAG, SUBJECTS_TAG, invalidate_on_commit, progress_tag
from ..models import StudyGoal, StudyLog, StudyProgress, StudySettings, StudySummary, Subject


@transaction.atomic
def study_erase_for_user(*, user_id: int) -> None:
    """Deletes the learner's summaries, progress, study log, goals and settings, and the subjects
    they created that nobody else studies. A subject another learner studies (public, or made
    private after others started) stays, for them, with its author link emptied: its name and
    description are course content, not the author's identity. Running it again finds nothing.
    """
    for model in (StudySummary, StudyProgress, StudyLog, StudyGoal, StudySettings):
        model.objects.filter(user_id=user_id).delete()
    studied_by_others = Q()
    for model in (StudyProgress, StudySummary, StudyGoal):
        others = model.objects.filter(subject=OuterRef("pk")).exclude(user_id=user_id)
        studied_by_others |= Q(Exists(others))
    authored = Subject.objects.filter(created_by_id=user_id)
    authored.filter(studied_by_others).update(created_by=None)
    authored.delete()
    invalidate_on_commit(SUBJECTS_TAG, LEARNERS_TAG, progress_tag(user_id))
