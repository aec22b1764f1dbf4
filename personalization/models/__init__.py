"""The personalization domain's tables, one module per concern."""

from .knowledge import ItemDifficulty, LearnerAbility, LearnerSkillState, ProcessedAnswer
from .profile import LearnerProfile, ProcessedActivity
from .reviews import (
    ReviewCard,
    ReviewKind,
    ReviewLog,
    ReviewParameters,
    ReviewRating,
    ReviewSource,
    ReviewState,
)

__all__ = [
    "ItemDifficulty",
    "LearnerAbility",
    "LearnerProfile",
    "LearnerSkillState",
    "ProcessedActivity",
    "ProcessedAnswer",
    "ReviewCard",
    "ReviewKind",
    "ReviewLog",
    "ReviewParameters",
    "ReviewRating",
    "ReviewSource",
    "ReviewState",
]
