"""Every write of the study domain."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .models import DifficultyLevel, Subject

if TYPE_CHECKING:
    from accounts.models import User


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
    return Subject.objects.create(
        created_by=created_by,
        name=name,
        description=description,
        category=category,
        difficulty_level=difficulty_level,
        is_public=is_public,
        tags=tags or [],
    )
