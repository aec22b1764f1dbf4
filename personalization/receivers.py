"""What personalization does when other apps announce something (connected in `apps.py`)."""

from __future__ import annotations

from typing import Any

from .tasks import update_knowledge


def knowledge_update_enqueue(*, answer_id: int, **_kwargs: Any) -> None:
    """`quiz.signals.answer_graded` is sent after commit: the answer is there for the task.
    The task is idempotent per answer (a regrade or a redelivery changes nothing twice)."""
    update_knowledge.delay(answer_id)
