"""Every write of the personalization domain, one module per concern."""

from .knowledge import (
    knowledge_update_from_answer,
    knowledge_update_from_answers,
)
from .profile import (
    learning_pattern_update,
    learning_session_record,
    learning_session_record_by_ids,
    learning_session_record_on_commit,
    profile_observe,
)
from .retention import claims_purge
from .reviews import (
    review_card_delete,
    review_card_rate,
    review_card_suspend,
    review_cards_from_answers,
    review_cards_from_summary,
    review_parameters_fit,
)

__all__ = [
    "claims_purge",
    "knowledge_update_from_answer",
    "knowledge_update_from_answers",
    "learning_pattern_update",
    "learning_session_record",
    "learning_session_record_by_ids",
    "learning_session_record_on_commit",
    "profile_observe",
    "review_card_delete",
    "review_card_rate",
    "review_card_suspend",
    "review_cards_from_answers",
    "review_cards_from_summary",
    "review_parameters_fit",
]
