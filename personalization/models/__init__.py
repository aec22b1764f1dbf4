"""The personalization domain's tables, one module per concern."""

from .knowledge import ItemDifficulty, LearnerAbility, LearnerSkillState, ProcessedAnswer

__all__ = ["ItemDifficulty", "LearnerAbility", "LearnerSkillState", "ProcessedAnswer"]
