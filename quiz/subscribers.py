"""The quiz app's reactions to other apps' events (registered in `QuizConfig.ready`).

- accounts' AccountErasureDue: the learner's attempts and private quizzes are erased
  (`services.erasure`).
"""

from __future__ import annotations

from accounts.events import ACCOUNT_ERASURE_DUE
from studymate_api.core.models import DomainEvent
from studymate_api.cqrs import event_subscriber

from .services.erasure import quiz_erase_for_user


@event_subscriber("quiz.erase_account", event_types=[ACCOUNT_ERASURE_DUE])
def erase_account(event: DomainEvent) -> None:
    quiz_erase_for_user(user_id=ACCOUNT_ERASURE_DUE.payload_of(event)["user_id"])
