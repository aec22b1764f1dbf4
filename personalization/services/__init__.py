"""Every write of the personalization domain, one module per concern."""

from .knowledge import knowledge_update_from_answer

__all__ = ["knowledge_update_from_answer"]
