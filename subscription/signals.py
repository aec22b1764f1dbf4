"""Signals other apps connect to; sent with `send_robust` after the transaction that caused
them commits (a receiver's error is logged by Django, never undoes the billing change). Every
one is sent with `sender=UserSubscription` and these keyword arguments:

`payment_succeeded(user, subscription, invoice_id, amount_paid, currency, hosted_invoice_url,
paid_at)`: Stripe charged a subscription invoice (`invoice.paid`), the first one or a renewal;
sent once per invoice, when its `Payment` is recorded. Credit top-ups (one-time checkouts) do
not send it.

`payment_failed(user, subscription, invoice_id, amount_due, currency, hosted_invoice_url,
next_payment_attempt)`: Stripe could not charge a renewal. The notifications app connects a
receiver that tells the learner (email/push) to update their card; until one is connected the
event is still counted (`payment_failed` metric) and logged.

`subscription_renewing(user, subscription, renewal_id, renews_on, amount_due, currency)`:
Stripe's `invoice.upcoming`, a few days before a renewal charges the card. `renews_on` is the
renewal's date (a `datetime.date`); `renewal_id` (`"<subscription id>:<renewal timestamp>"`)
names that renewal, so a receiver tells the learner once however often Stripe announces it.

`subscription_cancelled(user, subscription, cancellation_id, ends_on)`: the subscription was
set to end at the close of its paid period (`cancel_at_period_end` turned on; `ends_on` is that
date, a `datetime.date`), or Stripe deleted it (it has ended; `ends_on` is None).
`cancellation_id` (`"<subscription id>:<period end timestamp>"`) is the same for both, so a
learner who cancelled and then reaches the end of the period is told once.
"""

from __future__ import annotations

from django.dispatch import Signal

payment_succeeded = Signal()
payment_failed = Signal()
subscription_renewing = Signal()
subscription_cancelled = Signal()
