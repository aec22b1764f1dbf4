"""The realtime app's reactions to other apps' events (registered in `RealtimeConfig.ready`).

- accounts' credentials events (SignedOut, PasswordChanged, UserAccessChanged): every open
  socket of the user re-checks its own credentials and closes if they no longer hold
  (`realtime.consumers.base.JsonConsumer.realtime_credentials`). The event only says "re-check":
  each socket judges its own token, so a logout closes the sockets of that sign-in and leaves
  the user's other devices open.
"""

from __future__ import annotations

from accounts.events import ACCOUNT_ERASURE_DUE, CREDENTIALS_EVENTS
from studymate_api.core.models import DomainEvent
from studymate_api.cqrs import event_subscriber

from .broadcast import credentials_recheck_on_commit
from .services.erasure import realtime_erase_for_user


@event_subscriber("realtime.sockets_recheck_credentials", event_types=CREDENTIALS_EVENTS)
def sockets_recheck_credentials(event: DomainEvent) -> None:
    # Sent when the delivery commits; a redelivery only makes the sockets check once more.
    credentials_recheck_on_commit(int(event.payload["user_id"]))


@event_subscriber("realtime.erase_account", event_types=[ACCOUNT_ERASURE_DUE])
def erase_account(event: DomainEvent) -> None:
    """accounts' AccountErasureDue: the learner's sessions, rooms and chat are erased
    (`services.erasure`). Their sockets closed when the deletion was requested."""
    realtime_erase_for_user(user_id=ACCOUNT_ERASURE_DUE.payload_of(event)["user_id"])
