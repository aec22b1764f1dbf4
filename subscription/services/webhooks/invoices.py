"""Invoice events: payments, the paid period's credits, failed renewals, renewal notices
(refunds: `refunds`). Each records its event (`subscription.events`) in the webhook's
transaction; the learner hears of it from the notifications app's subscribers."""

from __future__ import annotations

from typing import Any

import structlog
from django.db import transaction
from django.utils import timezone

from studymate_api.metrics import track_event

from ...events import (
    PAYMENT_FAILED,
    PAYMENT_SUCCEEDED,
    SUBSCRIPTION_RENEWING,
    BillingPayload,
)
from ...models import (
    CreditReason,
    Payment,
    SubscriptionStatus,
    UserSubscription,
    WebhookEvent,
)
from ...money import format_money
from ..credits import credits_grant
from ..subscriptions import (
    from_timestamp,
    plan_for_price,
    subscription_apply,
    subscription_reread,
    user_for_stripe,
)

logger = structlog.get_logger(__name__)


def invoice_subscription_id(invoice: dict[str, Any]) -> str:
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    return str(details.get("subscription") or invoice.get("subscription") or "")


def _subscription_metadata(invoice: dict[str, Any]) -> dict[str, Any]:
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    metadata: dict[str, Any] = details.get("metadata") or {}
    return metadata


def _lines(invoice: dict[str, Any]) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = (invoice.get("lines") or {}).get("data") or []
    return lines


def _line_price(line: dict[str, Any]) -> Any:
    # API 2025-03-31+: lines carry `pricing.price_details.price` (an id); older ones `price`.
    details = (line.get("pricing") or {}).get("price_details") or {}
    return details.get("price") or line.get("price")


def _payment_intent(invoice: dict[str, Any]) -> str:
    for entry in (invoice.get("payments") or {}).get("data") or []:
        intent = (entry.get("payment") or {}).get("payment_intent")
        if intent:
            return str(intent if isinstance(intent, str) else intent.get("id", ""))
    return str(invoice.get("payment_intent") or "")


def _sum(entries: list[dict[str, Any]] | None) -> int:
    return sum(int(entry.get("amount") or 0) for entry in entries or [])


def _line_items(invoice: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "description": line.get("description") or "",
            "quantity": line.get("quantity") or 1,
            "amount": int(line.get("amount") or 0),
        }
        for line in _lines(invoice)
    ]


def _ensure_subscription(subscription_id: str) -> UserSubscription | None:
    """The invoice may arrive before any subscription event: read the subscription then."""
    existing = UserSubscription.objects.filter(stripe_subscription_id=subscription_id).first()
    if existing is not None or not subscription_id:
        return existing
    return subscription_apply(data=subscription_reread(subscription_id), as_of=timezone.now())


def on_invoice_paid(event: WebhookEvent) -> str:
    """One `Payment` per invoice and the plan's monthly credits once per invoice (both keyed
    by the invoice id, so a replay or a second delivery adds nothing)."""
    invoice = event.data_object
    subscription_id = invoice_subscription_id(invoice)
    metadata = _subscription_metadata(invoice)
    subscription = _ensure_subscription(subscription_id)
    user = subscription.user if subscription else user_for_stripe(invoice.get("customer"), metadata)
    if user is None:
        return "ignored: unknown learner"
    lines = _lines(invoice)
    plan = plan_for_price(_line_price(lines[0]) if lines else None, metadata.get("plan_code", ""))
    period = (lines[0].get("period") or {}) if lines else {}
    payment, created = Payment.objects.get_or_create(
        stripe_invoice_id=invoice["id"],
        defaults={
            "user": user,
            "plan": plan,
            "stripe_subscription_id": subscription_id,
            "stripe_payment_intent_id": _payment_intent(invoice),
            "invoice_number": invoice.get("number") or "",
            "currency": str(invoice.get("currency") or "").lower(),
            "subtotal": int(invoice.get("subtotal") or 0),
            "discount_amount": _sum(invoice.get("total_discount_amounts")),
            "tax_amount": _sum(invoice.get("total_taxes")),
            "total": int(invoice.get("total") or 0),
            "amount_paid": int(invoice.get("amount_paid") or 0),
            "line_items": _line_items(invoice),
            "hosted_invoice_url": invoice.get("hosted_invoice_url") or "",
            "invoice_pdf_url": invoice.get("invoice_pdf") or "",
            "period_start": from_timestamp(period.get("start")),
            "period_end": from_timestamp(period.get("end")),
            "paid_at": _paid_at(invoice, event),
        },
    )
    if plan is not None and plan.monthly_credits and subscription_id:
        credits_grant(
            user=user,
            amount=plan.monthly_credits,
            reason=CreditReason.MONTHLY_ALLOWANCE,
            idempotency_key=f"allowance:invoice:{invoice['id']}",
            reference=f"{plan.code} {invoice['id']}",
        )
    if created:
        amount, currency = payment.amount_paid, payment.currency
        transaction.on_commit(
            lambda: track_event("payment_succeeded", user=user.pk, amount=amount, currency=currency)
        )
        if subscription_id:  # a subscription's invoice, not a one-time purchase
            _record_payment_succeeded(user.pk, subscription_id, subscription, payment)
    return "applied" if created else "ignored: payment already recorded"


def _record_payment_succeeded(
    user_id: int, subscription_id: str, subscription: UserSubscription | None, payment: Payment
) -> None:
    PAYMENT_SUCCEEDED.record(
        aggregate_id=subscription_id,
        payload={
            "user_id": user_id,
            "stripe_subscription_id": subscription_id,
            "plan": plan_name(subscription),
            "period_end": period_end(subscription),
            "invoice_id": payment.stripe_invoice_id,
            "amount_paid": payment.amount_paid,
            "currency": payment.currency,
            "amount": format_money(payment.amount_paid, payment.currency),
            "hosted_invoice_url": payment.hosted_invoice_url,
            "paid_at": payment.paid_at.isoformat() if payment.paid_at else None,
        },
    )


def billing_fields(subscription: UserSubscription) -> BillingPayload:
    """The part of every billing event's payload that describes its subscription."""
    return {
        "user_id": subscription.user_id,
        "stripe_subscription_id": subscription.stripe_subscription_id,
        "plan": plan_name(subscription),
        "period_end": period_end(subscription),
    }


def plan_name(subscription: UserSubscription | None) -> str | None:
    return subscription.plan.name if subscription is not None else None


def period_end(subscription: UserSubscription | None) -> str | None:
    end = subscription.current_period_end if subscription is not None else None
    return end.date().isoformat() if end is not None else None


def _paid_at(invoice: dict[str, Any], event: WebhookEvent) -> Any:
    paid = ((invoice.get("status_transitions") or {}).get("paid_at")) or None
    return from_timestamp(paid) or event.stripe_created_at


def on_invoice_payment_failed(event: WebhookEvent) -> str:
    """The renewal could not be charged: the subscription is past due (its benefits stay while
    Stripe retries) and PaymentFailed is recorded (the learner is told to update their card)."""
    invoice = event.data_object
    subscription = (
        UserSubscription.objects.select_for_update()
        .filter(stripe_subscription_id=invoice_subscription_id(invoice))
        .first()
    )
    if subscription is None:
        return "ignored: unknown subscription"
    stored_at = subscription.stripe_updated_at
    newer = stored_at is not None and stored_at > event.stripe_created_at
    if (
        subscription.status in (SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING)
        and not newer
    ):
        # As of this event: an older "active" update arriving later does not undo it.
        subscription.status = SubscriptionStatus.PAST_DUE
        subscription.stripe_updated_at = event.stripe_created_at
        subscription.save(update_fields=["status", "stripe_updated_at", "updated_at"])
    amount_due = int(invoice.get("amount_due") or 0)
    currency = str(invoice.get("currency") or "").lower()
    next_attempt = from_timestamp(invoice.get("next_payment_attempt"))
    PAYMENT_FAILED.record(
        aggregate_id=subscription.stripe_subscription_id,
        payload={
            **billing_fields(subscription),
            "invoice_id": invoice["id"],
            "amount_due": amount_due,
            "currency": currency,
            "amount": format_money(amount_due, currency),
            "hosted_invoice_url": invoice.get("hosted_invoice_url") or "",
            "next_payment_attempt": next_attempt.isoformat() if next_attempt else None,
        },
    )
    user_id, invoice_id = subscription.user_id, invoice["id"]
    transaction.on_commit(lambda: _count_payment_failed(user_id, invoice_id))
    return "applied: past_due"


def _count_payment_failed(user_id: int, invoice_id: str) -> None:
    track_event("payment_failed", user=user_id, invoice=invoice_id)
    logger.info("payment_failed", user_id=user_id, invoice=invoice_id)


def on_invoice_upcoming(event: WebhookEvent) -> str:
    """A renewal will charge the card in a few days: SubscriptionRenewing is recorded (the
    learner is told). Nothing else is stored; the invoice does not exist yet (an
    upcoming invoice has no id), the event row is what makes a replay do nothing."""
    invoice = event.data_object
    subscription = (
        UserSubscription.objects.select_related("user", "plan")
        .filter(stripe_subscription_id=invoice_subscription_id(invoice))
        .first()
    )
    if subscription is None:
        return "ignored: unknown subscription"
    if not subscription.is_entitled or subscription.cancel_at_period_end:
        return "ignored: the subscription does not renew"
    renews_at = _renewal_time(invoice, subscription)
    if renews_at is None:
        return "ignored: no renewal date"
    if renews_at <= timezone.now():  # a notice delivered late: the renewal is not coming
        return "ignored: the renewal date has passed"
    amount_due = int(invoice.get("amount_due") or 0)
    currency = str(invoice.get("currency") or "").lower()
    renewal_id = f"{subscription.stripe_subscription_id}:{int(renews_at.timestamp())}"
    SUBSCRIPTION_RENEWING.record(
        aggregate_id=subscription.stripe_subscription_id,
        payload={
            **billing_fields(subscription),
            "renewal_id": renewal_id,
            "renews_on": renews_at.date().isoformat(),
            "amount_due": amount_due,
            "currency": currency,
            "amount": format_money(amount_due, currency),
        },
    )
    logger.info("subscription_renewing", user_id=subscription.user_id, renewal_id=renewal_id)
    return "applied: renewal notice"


def _renewal_time(invoice: dict[str, Any], subscription: UserSubscription) -> Any:
    """When the renewal charges: the start of the period the invoice bills (its first line's),
    else the end of the period we have stored."""
    lines = _lines(invoice)
    start = (lines[0].get("period") or {}).get("start") if lines else None
    return from_timestamp(start) or subscription.current_period_end
