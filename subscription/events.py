"""Events of the billing domain, as stored in the event store. Other apps subscribe to these
objects (never to the names as strings). Each is recorded by the webhook handler in the
transaction that applies the Stripe event, so a replayed webhook (its `WebhookEvent` row already
there) records nothing twice. The aggregate is the Stripe subscription (`stripe_subscription:
<sub_...>`), so one subscription's events reach each subscriber in order.

- PaymentSucceeded: Stripe charged a subscription invoice (`invoice.paid`), the first or a
  renewal; once per invoice, when its `Payment` is recorded. Credit top-ups do not record it.
- PaymentFailed: Stripe could not charge a renewal (`invoice.payment_failed`).
- SubscriptionRenewing: Stripe's `invoice.upcoming`, a few days before a renewal charges the
  card. `renewal_id` (`"<subscription id>:<renewal timestamp>"`) names that renewal.
- SubscriptionCancelled: `cancel_at_period_end` turned on (`ends_on` is the period's end), or
  Stripe deleted the subscription (`ends_on` is None). `cancellation_id` (`"<subscription
  id>:<period end timestamp>"`) is the same for both, so the learner is told once.

Amounts are in minor units with their currency; `amount` is the same, formatted for people.
Dates are ISO 8601 strings.
"""

from __future__ import annotations

from typing import TypedDict

from studymate_api.cqrs import EventType

STRIPE_SUBSCRIPTION = "stripe_subscription"


class BillingPayload(TypedDict):
    """What every billing event says of its subscription."""

    user_id: int
    stripe_subscription_id: str
    plan: str | None  # the plan's name
    # The end of the paid period as stored (a date), None when unknown.
    period_end: str | None


class PaymentSucceededPayload(BillingPayload):
    invoice_id: str
    amount_paid: int
    currency: str
    amount: str
    hosted_invoice_url: str
    paid_at: str | None


class PaymentFailedPayload(BillingPayload):
    invoice_id: str
    amount_due: int
    currency: str
    amount: str
    hosted_invoice_url: str
    next_payment_attempt: str | None


class SubscriptionRenewingPayload(BillingPayload):
    renewal_id: str
    renews_on: str
    amount_due: int
    currency: str
    amount: str


class SubscriptionCancelledPayload(BillingPayload):
    cancellation_id: str
    ends_on: str | None


PAYMENT_SUCCEEDED = EventType(
    "PaymentSucceeded", aggregate=STRIPE_SUBSCRIPTION, payload=PaymentSucceededPayload
)
PAYMENT_FAILED = EventType(
    "PaymentFailed", aggregate=STRIPE_SUBSCRIPTION, payload=PaymentFailedPayload
)
SUBSCRIPTION_RENEWING = EventType(
    "SubscriptionRenewing", aggregate=STRIPE_SUBSCRIPTION, payload=SubscriptionRenewingPayload
)
SUBSCRIPTION_CANCELLED = EventType(
    "SubscriptionCancelled", aggregate=STRIPE_SUBSCRIPTION, payload=SubscriptionCancelledPayload
)
