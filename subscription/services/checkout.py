"""Buying and managing a subscription through Stripe: checkout, portal, cancel, resume.

Card data never reaches us: checkout and the portal are Stripe-hosted pages; we only create
the sessions and learn the outcome from webhooks (the subscription row is changed here too
with what Stripe answers, so the learner sees it at once).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import stripe
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.services.verification import user_ensure_may
from studymate_api.core.errors import Conflict, validation_failed
from studymate_api.metrics import track_event

from ..models import StripeCustomer, SubscriptionPlan, UserSubscription
from ..selectors.plans import plan_get_purchasable, subscription_current
from ..stripe_api import as_dict, stripe_client, stripe_errors
from .discounts import discount_check
from .subscriptions import subscription_apply

if TYPE_CHECKING:
    from accounts.models import User


@dataclass(frozen=True)
class CheckoutSession:
    checkout_url: str
    session_id: str


def customer_ensure(*, user: User, client: stripe.StripeClient) -> str:
    """The learner's Stripe customer id, created on first need. The idempotency key makes two
    racing requests get the same customer from Stripe; the unique row keeps one link."""
    existing = StripeCustomer.objects.filter(user=user).first()
    if existing is not None:
        return existing.stripe_customer_id
    with stripe_errors("customer_create"):
        customer = client.v1.customers.create(
            {
                "email": user.email,
                "name": user.get_full_name() or user.username,
                "metadata": {"user_id": str(user.pk)},
            },
            {"idempotency_key": f"studymate-customer-{user.pk}"},
        )
    link, _created = StripeCustomer.objects.get_or_create(
        user=user, defaults={"stripe_customer_id": customer.id}
    )
    return link.stripe_customer_id


def checkout_create(*, user: User, plan_id: int, promo_code: str = "") -> CheckoutSession:
    user_ensure_may(user=user, action="pay")  # 403 until the email is verified
    client = stripe_client()
    plan = _purchasable(plan_id)
    if subscription_current(user=user) is not None:
        raise Conflict(_("You already have a subscription. Change it in the billing portal."))
    discounts = _checkout_discounts(user, plan, promo_code)
    customer_id = customer_ensure(user=user, client=client)
    metadata = {"user_id": str(user.pk), "plan_code": plan.code, "promo_code": promo_code}
    params: dict[str, Any] = {
        "mode": "subscription",
        "customer": customer_id,
        "client_reference_id": str(user.pk),
        "line_items": [{"price": plan.stripe_price_id, "quantity": 1}],
        "success_url": settings.BILLING_SUCCESS_URL,
        "cancel_url": settings.BILLING_CANCEL_URL,
        "metadata": metadata,
        "subscription_data": {"metadata": {"user_id": str(user.pk), "plan_code": plan.code}},
    }
    if discounts:
        params["discounts"] = discounts
    else:
        params["allow_promotion_codes"] = True
    with stripe_errors("checkout_create"):
        session = client.v1.checkout.sessions.create(params)  # type: ignore[arg-type]
    track_event("checkout_started", user=user, plan=plan.code, promo=bool(promo_code))
    return CheckoutSession(checkout_url=session.url or "", session_id=session.id)


def _purchasable(plan_id: int) -> SubscriptionPlan:
    plan = plan_get_purchasable(plan_id=plan_id)
    if plan.is_free:
        raise validation_failed("plan_id", _("The free plan needs no checkout."))
    if not plan.stripe_price_id:
        raise validation_failed("plan_id", _("This plan cannot be bought yet."))
    return plan


def _checkout_discounts(user: User, plan: SubscriptionPlan, code: str) -> list[dict[str, str]]:
    if not code.strip():
        return []
    check = discount_check(user=user, code=code, plan=plan)
    if not check.valid or check.discount is None:
        raise validation_failed("promo_code", check.reason)
    if not check.discount.stripe_promotion_code_id:
        raise validation_failed("promo_code", _("This code cannot be used right now."))
    return [{"promotion_code": check.discount.stripe_promotion_code_id}]


def portal_create(*, user: User) -> str:
    """A link to Stripe's customer portal (cards, invoices, plan changes)."""
    client = stripe_client()
    link = StripeCustomer.objects.filter(user=user).first()
    if link is None:
        raise Conflict(_("You have no billing account yet. Subscribe to a plan first."))
    with stripe_errors("portal_create"):
        session = client.v1.billing_portal.sessions.create(
            {"customer": link.stripe_customer_id, "return_url": settings.BILLING_PORTAL_RETURN_URL}
        )
    return session.url


def subscription_cancel(*, user: User) -> UserSubscription:
    """Cancels at the end of the paid period: the plan stays until then."""
    return _set_cancel_at_period_end(user, cancel=True)


def subscription_resume(*, user: User) -> UserSubscription:
    """Undoes a cancellation that has not taken effect yet."""
    return _set_cancel_at_period_end(user, cancel=False)


def _set_cancel_at_period_end(user: User, *, cancel: bool) -> UserSubscription:
    client = stripe_client()
    subscription = subscription_current(user=user)
    if subscription is None:
        raise Conflict(_("You have no paid subscription."))
    if subscription.cancel_at_period_end == cancel:
        message = (
            _("The subscription is already set to end.")
            if cancel
            else _("The subscription is not set to end.")
        )
        raise Conflict(message)
    with stripe_errors("subscription_update"):
        updated = client.v1.subscriptions.update(
            subscription.stripe_subscription_id, {"cancel_at_period_end": cancel}
        )
    with transaction.atomic():
        applied = subscription_apply(data=as_dict(updated), as_of=timezone.now())
    track_event("subscription_canceled" if cancel else "subscription_resumed", user=user)
    return applied or subscription
