"""Refunds (`charge.refunded`), for subscription payments and credit top-ups alike.

Policy. A subscription's monthly credits are kept when its payment is refunded (a refund is a
support decision; adjust credits in admin). A top-up's credits are what was bought, so the
refunded share of them is taken back (refunded amount / amount paid of the credits granted,
rounded down) — but only what is still unspent: the balance never goes below zero and credits
already used are not recovered.
"""

from __future__ import annotations

from django.db import transaction

from studymate_api.metrics import track_event

from ...models import CreditReason, Payment, PaymentKind, PaymentStatus, WebhookEvent
from ...stripe_api import stripe_id
from ..credits import credits_take_back


def on_charge_refunded(event: WebhookEvent) -> str:
    """Marks the payment (matched by its payment intent) refunded in full or in part."""
    charge = event.data_object
    intent_id = stripe_id(charge.get("payment_intent"))
    payment = (
        Payment.objects.select_for_update().filter(stripe_payment_intent_id=intent_id).first()
        if intent_id
        else None
    )
    if payment is None:
        return "ignored: no payment with this payment intent"
    if not payment_refund_apply(
        payment=payment, amount_refunded=int(charge.get("amount_refunded") or 0)
    ):
        return "ignored: refund already recorded"
    return f"applied: {payment.status}"


def payment_refund_apply(*, payment: Payment, amount_refunded: int) -> bool:
    """Records the charge's cumulative refunded amount (each amount once); False when it adds
    nothing to what is recorded."""
    before = payment.amount_refunded
    if amount_refunded <= before:
        return False
    payment.amount_refunded = amount_refunded
    fully = amount_refunded >= payment.amount_paid
    payment.status = PaymentStatus.REFUNDED if fully else PaymentStatus.PARTIALLY_REFUNDED
    if payment.kind == PaymentKind.CREDIT_TOP_UP:
        payment.credits_reversed += _take_back_credits(payment, before, amount_refunded)
    payment.save(update_fields=["amount_refunded", "status", "credits_reversed"])
    user_id = payment.user_id
    transaction.on_commit(
        lambda: track_event("payment_refunded", user=user_id, amount=amount_refunded)
    )
    return True


def _refunded_share(payment: Payment, refunded: int) -> int:
    if payment.amount_paid <= 0:
        return payment.credits_granted
    share = payment.credits_granted * min(refunded, payment.amount_paid) // payment.amount_paid
    return int(share)


def _take_back_credits(payment: Payment, before: int, after: int) -> int:
    owed = _refunded_share(payment, after) - _refunded_share(payment, before)
    learner = payment.user
    if owed <= 0 or learner is None:  # an erased learner's credits went with the account
        return 0
    entry = credits_take_back(
        user=learner,
        amount=owed,
        reason=CreditReason.TOP_UP_REFUND,
        idempotency_key=f"topup:{payment.stripe_checkout_session_id}:refund:{after}",
        reference=f"refund {payment.stripe_payment_intent_id}",
    )
    return -entry.delta if entry is not None else 0
