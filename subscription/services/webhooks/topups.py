"""Credit top-up events: a paid payment-mode checkout grants the pack's credits once.

When a top-up is paid. `checkout.session.completed` says so with `payment_status: "paid"`
(cards). With methods that settle later (bank debits, transfers) it arrives `"unpaid"` and the
credits wait for `checkout.session.async_payment_succeeded`; `async_payment_failed` grants
nothing. Everything is keyed by the checkout session id: the `Payment` row (unique) and the
grant (`topup:<session id>`), so replays, retries and both events arriving grant once.

Whose credits. Those of the learner who owns the session's Stripe customer (the link stored
when we created the session). A session whose `client_reference_id` or `metadata.user_id`
names anyone else is refused: what a session claims never moves credits to an account.

A refund that Stripe reports before the payment (events are not ordered) is found on the
charge when the payment is recorded, and applied then (see `refunds`).
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

import structlog
from django.db import transaction

from studymate_api.metrics import track_event

from ...models import CreditPack, CreditReason, Payment, PaymentKind, StripeCustomer
from ...stripe_api import as_dict, stripe_client, stripe_errors, stripe_id
from ..credits import credits_grant
from ..subscriptions import from_timestamp
from ..topups import TOP_UP_KIND
from .refunds import payment_refund_apply

if TYPE_CHECKING:
    from accounts.models import User

    from ...models import WebhookEvent

logger = structlog.get_logger(__name__)


def grant_key(session_id: str) -> str:
    return f"topup:{session_id}"


def is_top_up(session: dict[str, Any]) -> bool:
    metadata = session.get("metadata") or {}
    return session.get("mode") == "payment" and metadata.get("kind") == TOP_UP_KIND


def on_top_up_session(event: WebhookEvent) -> str:
    """`checkout.session.completed` (payment mode) and `async_payment_succeeded`."""
    session = event.data_object
    if not is_top_up(session):
        return "ignored: not a credit top-up"
    if session.get("payment_status") != "paid":
        return "ignored: payment not settled yet"
    return top_up_fulfil(session=session, as_of=event.stripe_created_at)


def on_top_up_payment_failed(event: WebhookEvent) -> str:
    session = event.data_object
    if not is_top_up(session):
        return "ignored: not a credit top-up"
    user = session_owner(session)
    user_id = user.pk if user else None
    session_id = session["id"]
    transaction.on_commit(lambda: track_event("top_up_failed", user=user_id, session=session_id))
    return "applied: payment failed, nothing granted"


def top_up_fulfil(*, session: dict[str, Any], as_of: datetime.datetime) -> str:
    session_id = str(session["id"])
    user = session_owner(session)
    if user is None:
        return "ignored: no learner matches the session's customer"
    if Payment.objects.filter(stripe_checkout_session_id=session_id).exists():
        return "ignored: top-up already fulfilled"
    pack = _pack_of(session)
    credits = _bought_credits(session, pack)
    if credits <= 0:
        return "ignored: no credit pack on the session"
    charge = _latest_charge(stripe_id(session.get("payment_intent")))
    payment = Payment.objects.create(
        **_payment_fields(session, charge, pack, credits, as_of), user=user
    )
    credits_grant(
        user=user,
        amount=credits,
        reason=CreditReason.TOP_UP,
        idempotency_key=grant_key(session_id),
        reference=f"{pack.code if pack else 'pack'} {session_id}",
    )
    payment_refund_apply(payment=payment, amount_refunded=int(charge.get("amount_refunded") or 0))
    amount, currency = payment.amount_paid, payment.currency
    transaction.on_commit(
        lambda: track_event(
            "top_up_succeeded", user=user.pk, credits=credits, amount=amount, currency=currency
        )
    )
    return "applied"


def session_owner(session: dict[str, Any]) -> User | None:
    customer_id = stripe_id(session.get("customer"))
    link = (
        StripeCustomer.objects.select_related("user").filter(stripe_customer_id=customer_id).first()
        if customer_id
        else None
    )
    if link is None:
        return None
    metadata = session.get("metadata") or {}
    claims = {str(session.get("client_reference_id") or ""), str(metadata.get("user_id") or "")}
    if claims - {"", str(link.user_id)}:
        logger.warning("stripe_top_up_owner_mismatch", session=session.get("id"))
        return None
    return link.user


def _pack_of(session: dict[str, Any]) -> CreditPack | None:
    metadata = session.get("metadata") or {}
    pack_id, code = str(metadata.get("pack_id") or ""), str(metadata.get("pack_code") or "")
    packs = CreditPack.objects
    return (packs.filter(pk=int(pack_id)).first() if pack_id.isdigit() else None) or (
        packs.filter(code=code).first() if code else None
    )


def _bought_credits(session: dict[str, Any], pack: CreditPack | None) -> int:
    """The credits the pack held when the session was created (our metadata), else now."""
    stated = str((session.get("metadata") or {}).get("credits") or "")
    if stated.isdigit() and len(stated) <= 9:
        return int(stated)
    return pack.credits if pack else 0


def _latest_charge(intent_id: str) -> dict[str, Any]:
    """The payment's charge, for its receipt link and any refund already made. A Stripe
    failure rolls the event back: Stripe delivers it again later."""
    if not intent_id:
        return {}
    with stripe_errors("payment_intent_retrieve"):
        intent = stripe_client().v1.payment_intents.retrieve(
            intent_id, {"expand": ["latest_charge"]}
        )
    charge = as_dict(intent).get("latest_charge")
    return charge if isinstance(charge, dict) else {}


def _payment_fields(
    session: dict[str, Any],
    charge: dict[str, Any],
    pack: CreditPack | None,
    credits: int,
    as_of: datetime.datetime,
) -> dict[str, Any]:
    total = int(session.get("amount_total") or 0)
    subtotal = int(session.get("amount_subtotal") or total)
    details = session.get("total_details") or {}
    currency = str(session.get("currency") or (pack.currency if pack else "")).lower()
    return {
        "kind": PaymentKind.CREDIT_TOP_UP,
        "credit_pack": pack,
        "stripe_checkout_session_id": str(session["id"]),
        "stripe_payment_intent_id": stripe_id(session.get("payment_intent")),
        "invoice_number": str(charge.get("receipt_number") or "")[:100],
        "currency": currency[:3],
        "subtotal": subtotal,
        "discount_amount": int(details.get("amount_discount") or 0),
        "tax_amount": int(details.get("amount_tax") or 0),
        "total": total,
        "amount_paid": total,
        "credits_granted": credits,
        "line_items": [
            {"description": pack.name if pack else "", "quantity": 1, "amount": subtotal}
        ],
        "receipt_url": str(charge.get("receipt_url") or "")[:500],
        "paid_at": from_timestamp(charge.get("created")) or as_of,
    }
