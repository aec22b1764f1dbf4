"""Writes of subjects."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from studymate_api.core.errors import Conflict

from ..caching import LEARNERS_TAG, SUBJECTS_TAG, invalidate_on_commit, progress_tag
from ..events import SUBJECT_CREATED, SubjectCreatedPayload
from ..models import DifficultyLevel, Subject
from ..selectors import subject_get_owned, subject_has_other_learners, subject_row

if TYPE_CHECKING:
    from accounts.models import User

SUBJECT_FIELDS = ("name", "description", "category", "difficulty_level", "is_public", "tags")


@transaction.atomic
def subject_create(
    *,
    created_by: User,
    name: str,
    description: str = "",
    category: str = "",
    difficulty_level: str = DifficultyLevel.BEGINNER,
    is_public: bool = False,
    tags: list[str] | None = None,
) -> Subject:
    subject = Subject.objects.create(
        created_by=created_by,
        name=name,
        description=description,
        category=category,
        difficulty_level=difficulty_level,
        is_public=is_public,
        tags=tags or [],
    )
    SUBJECT_CREATED.record(
        aggregate_id=subject.pk,
        # The subject's public row, as the subjects page shows it.
        payload=cast(SubjectCreatedPayload, {"user_id": created_by.pk, **subject_row(subject)}),
        user=created_by,
        expected_version=0,
    )
    invalidate_on_commit(SUBJECTS_TAG)
    return subject


@transaction.atomic
def subject_update(*, user: User, subject_id: int, data: dict[str, Any]) -> Subject:
    """Only the creator may change a subject; `data` holds any of SUBJECT_FIELDS."""
    subject = subject_get_owned(user=user, subject_id=subject_id)
    changed = [name for name in SUBJECT_FIELDS if name in data]
    for name in changed:
        setattr(subject, name, data[name])
    if changed:
        subject.save(update_fields=[*changed, "updated_at"])
        invalidate_on_commit(SUBJECTS_TAG)
    return subject


@transaction.atomic
def subject_delete(*, user: User, subject_id: int) -> None:
    """Deleting would take other learners' progress, summaries and goals with it, so a subject
    someone else studies cannot be deleted (409); its creator can make it private instead."""
    subject = subject_get_owned(user=user, subject_id=subject_id)
    if subject_has_other_learners(subject=subject, user=user):
        raise Conflict(_("Other learners study this subject; it cannot be deleted."))
    subject.delete()
    invalidate_on_commit(SUBJECTS_TAG, LEARNERS_TAG, progress_tag(user.pk))
