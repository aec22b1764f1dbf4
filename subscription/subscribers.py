"""The subscription app's reactions to other apps' events (registered in
`SubscriptionConfig.ready`).

- accounts' AccountDeletionRequested: the learner's paid subscription is cancelled at Stripe
  at once (`services.erasure`). Isolated: it calls Stripe.
- accounts' AccountErasureDue: the learner's Stripe customer is deleted at Stripe and their
  billing data erased, payments and the ledger kept without them (`services.erasure`).
  Isolated: it calls Stripe, and Stripe's failures must not make the other apps redo their part.
"""

from __future__ import annotations

from accounts.events import ACCOUNT_DELETION_REQUESTED, ACCOUNT_ERASURE_DUE
from studymate_api.core.models import DomainEvent
from studymate_api.cqrs import event_subscriber

from .services.erasure import (
    subscription_cancel_for_account_deletion,
    subscription_erase_for_user,
)


@event_subscriber("subscription.erase_account", event_types=[ACCOUNT_ERASURE_DUE], isolated=True)
def erase_account(event: DomainEvent) -> None:
    subscription_erase_for_user(user_id=ACCOUNT_ERASURE_DUE.payload_of(event)["user_id"])


@event_subscriber(
    "subscription.cancel_for_account_deletion",
    event_types=[ACCOUNT_DELETION_REQUESTED],
    isolated=True,
)
def cancel_for_account_deletion(event: DomainEvent) -> None:
    subscription_cancel_for_account_deletion(
        user_id=ACCOUNT_DELETION_REQUESTED.payload_of(event)["user_id"]
    )
