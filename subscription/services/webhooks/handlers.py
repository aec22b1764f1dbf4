"""What each Stripe event does. Every handler runs inside the event's transaction and returns
a short outcome ("applied", "ignored: ...") stored on the event."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from studymate_api.metrics import track_event

from ...models import Discount, StripeCustomer, UserSubscription, WebhookEvent
from ...stripe_api import stripe_id
from ..discounts import discount_redeem
from ..subscriptions import subscription_apply, subscription_reread, user_for_stripe
from .cancellations import cancellation_announce
from .invoices import on_invoice_paid, on_invoice_payment_failed, on_invoice_upcoming
from .refunds import on_charge_refunded
from .topups import on_top_up_payment_failed, on_top_up_session

Handler = Callable[[WebhookEvent], str]


def handle(event: WebhookEvent) -> str:
    handler = HANDLERS.get(event.event_type)
    if handler is None:
        return "ignored: not an event we act on"
    return handler(event)


def on_subscription_event(event: WebhookEvent) -> str:
    """created/updated/deleted: the event's object is applied unless we hold a newer state;
    at the same second (ordering unknowable) Stripe's current object is read instead."""
    data = event.data_object
    as_of = event.stripe_created_at
    existing = (
        UserSubscription.objects.select_for_update()
        .filter(stripe_subscription_id=data["id"])
        .first()
    )
    if existing is not None and existing.stripe_updated_at is not None:
        if as_of < existing.stripe_updated_at:
            return "ignored: older than the stored state"
        if as_of == existing.stripe_updated_at:
            data, as_of = subscription_reread(data["id"]), timezone.now()
    applied = subscription_apply(data=data, as_of=as_of)
    if applied is None:
        return "ignored: unknown learner or plan"
    _after_commit_track(f"subscription_{applied.status}", applied.user_id, applied.plan.code)
    # `existing` still holds the values from before the event (`apply` saved its own copy).
    cancellation_announce(event=event, before=existing, after=applied)
    return f"applied: {applied.status}"


def on_checkout_completed(event: WebhookEvent) -> str:
    session = event.data_object
    if session.get("mode") == "payment":
        return on_top_up_session(event)
    if session.get("mode") != "subscription":
        return "ignored: not a subscription checkout"
    metadata = {"user_id": session.get("client_reference_id") or ""}
    metadata.update(session.get("metadata") or {})
    user = user_for_stripe(session.get("customer"), metadata)
    if user is None:
        return "ignored: unknown learner"
    customer_id = stripe_id(session.get("customer"))
    if customer_id:
        StripeCustomer.objects.get_or_create(
            user=user, defaults={"stripe_customer_id": customer_id}
        )
    _redeem_discounts(session, user)
    subscription_id = session.get("subscription")
    if (
        subscription_id
        and not UserSubscription.objects.filter(stripe_subscription_id=subscription_id).exists()
    ):
        # The session does not carry the subscription: read it, it is newer than any event.
        subscription_apply(data=subscription_reread(subscription_id), as_of=timezone.now())
    _after_commit_track("checkout_completed", user.pk, metadata.get("plan_code", ""))
    return "applied"


def _redeem_discounts(session: dict[str, Any], user: Any) -> None:
    promotion_ids = [
        d.get("promotion_code") for d in session.get("discounts") or [] if d.get("promotion_code")
    ]
    code = (session.get("metadata") or {}).get("promo_code") or ""
    discounts = Discount.objects.filter(stripe_promotion_code_id__in=promotion_ids)
    if code:
        discounts = discounts | Discount.objects.filter(code__iexact=code)
    for discount in discounts.distinct():
        discount_redeem(discount=discount, user=user, checkout_session_id=session["id"])


def _after_commit_track(name: str, user_id: int, plan_code: str) -> None:
    transaction.on_commit(lambda: track_event(name, user=user_id, plan=plan_code))


HANDLERS: dict[str, Handler] = {
    "checkout.session.completed": on_checkout_completed,
    "checkout.session.async_payment_succeeded": on_top_up_session,
    "checkout.session.async_payment_failed": on_top_up_payment_failed,
    "customer.subscription.created": on_subscription_event,
    "customer.subscription.updated": on_subscription_event,
    "customer.subscription.deleted": on_subscription_event,
    "invoice.paid": on_invoice_paid,
    "invoice.payment_failed": on_invoice_payment_failed,
    "invoice.upcoming": on_invoice_upcoming,
    "charge.refunded": on_charge_refunded,
}
