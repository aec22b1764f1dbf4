"""Telling the learner their subscription was cancelled, from the subscription events.

Two moments count: `cancel_at_period_end` turning on (it ends when the paid period does) and
the subscription ending (`customer.subscription.deleted`: status `canceled`). Whether the flag
just turned on is read from the event's `previous_attributes` when Stripe includes it (it does
on every `updated` event), else from the row as it was before the event: a cancellation made
through our API already stored the flag, and its webhook must still tell the learner.
"""

from __future__ import annotations

from ...events import SUBSCRIPTION_CANCELLED
from ...models import SubscriptionStatus, UserSubscription, WebhookEvent
from .invoices import billing_fields, period_end


def cancellation_announce(
    *, event: WebhookEvent, before: UserSubscription | None, after: UserSubscription
) -> None:
    """Records SubscriptionCancelled when `event` cancelled `after`.
    `before` is the row as it was before the event was applied (None: there was none)."""
    ended = after.status == SubscriptionStatus.CANCELED and (
        before is None or before.status != SubscriptionStatus.CANCELED
    )
    scheduled = (
        not ended
        and after.cancel_at_period_end
        and after.status != SubscriptionStatus.CANCELED
        and not _was_cancelling(event, before)
    )
    if not (ended or scheduled):
        return
    SUBSCRIPTION_CANCELLED.record(
        aggregate_id=after.stripe_subscription_id,
        payload={
            **billing_fields(after),
            "cancellation_id": _cancellation_id(after),
            # Once ended, the benefits are gone; before that they last until the period's end.
            "ends_on": period_end(after) if scheduled else None,
        },
    )


def _was_cancelling(event: WebhookEvent, before: UserSubscription | None) -> bool:
    previous = event.payload.get("data", {}).get("previous_attributes") or {}
    if "cancel_at_period_end" in previous:
        return bool(previous["cancel_at_period_end"])
    return before is not None and before.cancel_at_period_end


def _cancellation_id(subscription: UserSubscription) -> str:
    """The same for the scheduled cancellation and the end it leads to: told once."""
    period_end = subscription.current_period_end
    stamp = int(period_end.timestamp()) if period_end else 0
    return f"{subscription.stripe_subscription_id}:{stamp}"
