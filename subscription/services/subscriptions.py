"""Writing Stripe's view of a subscription into `UserSubscription`.

Ordering. Stripe does not deliver events in order. Each row remembers the time of the newest
Stripe state applied to it (`stripe_updated_at`: an event's `created`, or the time we read the
object from the API); `subscription_apply` refuses older states, so a late
`customer.subscription.created` never undoes an `updated` or `deleted` that came first.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

import structlog

from accounts.selectors import user_get

from ..models import StripeCustomer, SubscriptionPlan, UserSubscription
from ..stripe_api import as_dict, stripe_client, stripe_errors, stripe_id

if TYPE_CHECKING:
    from accounts.models import User

logger = structlog.get_logger(__name__)


def from_timestamp(value: int | None) -> datetime.datetime | None:
    return datetime.datetime.fromtimestamp(value, tz=datetime.UTC) if value else None


def user_for_stripe(customer: Any, metadata: dict[str, Any] | None) -> User | None:
    """The learner behind a Stripe object: by the stored customer link (`customer` as an id or
    an expanded object), else by the `user_id` we put in the metadata at checkout."""
    customer_id = stripe_id(customer)
    if customer_id:
        link = StripeCustomer.objects.select_related("user").filter(stripe_customer_id=customer_id)
        found = link.first()
        if found is not None:
            return found.user
    user_id = (metadata or {}).get("user_id", "")
    if str(user_id).isdigit() and len(str(user_id)) <= 18:  # beyond that no bigint id matches
        return user_get(user_id=int(user_id))
    return None


def plan_for_price(
    price: dict[str, Any] | str | None, fallback_code: str = ""
) -> SubscriptionPlan | None:
    """The plan a Stripe price belongs to: by the price's `plan_code` metadata (set by
    `billing_sync_plans`, also on archived prices), its id, or the subscription's metadata."""
    price_id = price if isinstance(price, str) else (price or {}).get("id", "")
    metadata = {} if isinstance(price, str) or price is None else price.get("metadata") or {}
    code = metadata.get("plan_code") or ""
    plans = SubscriptionPlan.objects
    return (
        (plans.filter(code=code).first() if code else None)
        or (plans.filter(stripe_price_id=price_id).first() if price_id else None)
        or (plans.filter(code=fallback_code).first() if fallback_code else None)
    )


def _first_item(data: dict[str, Any]) -> dict[str, Any]:
    items = (data.get("items") or {}).get("data") or []
    return items[0] if items else {}


def subscription_fields(data: dict[str, Any]) -> dict[str, Any]:
    item = _first_item(data)
    # Since API version 2025-03-31 the period lives on the items.
    start = item.get("current_period_start") or data.get("current_period_start")
    end = item.get("current_period_end") or data.get("current_period_end")
    return {
        "status": data["status"],
        "stripe_customer_id": str(data.get("customer") or ""),
        "current_period_start": from_timestamp(start),
        "current_period_end": from_timestamp(end),
        "cancel_at_period_end": bool(data.get("cancel_at_period_end")),
        "canceled_at": from_timestamp(data.get("canceled_at")),
    }


def subscription_apply(
    *, data: dict[str, Any], as_of: datetime.datetime
) -> UserSubscription | None:
    """Stores a Stripe subscription object as of `as_of`, unless the row already holds a newer
    state. Run inside a transaction: the row is locked while it is compared and written.
    None when the object is older, or names no learner or plan we know (logged)."""
    existing = (
        UserSubscription.objects.select_for_update()
        .filter(stripe_subscription_id=data["id"])
        .first()
    )
    if existing and existing.stripe_updated_at and as_of < existing.stripe_updated_at:
        return None
    metadata = data.get("metadata") or {}
    user = existing.user if existing else user_for_stripe(data.get("customer"), metadata)
    plan = plan_for_price(_first_item(data).get("price"), metadata.get("plan_code", ""))
    if user is None or plan is None:
        logger.warning("stripe_subscription_unmatched", subscription=data["id"])
        return None
    fields = {**subscription_fields(data), "plan": plan, "stripe_updated_at": as_of}
    if existing is None:
        return UserSubscription.objects.create(
            user=user, stripe_subscription_id=data["id"], **fields
        )
    for name, value in fields.items():
        setattr(existing, name, value)
    existing.save(update_fields=[*fields, "updated_at"])
    return existing


def subscription_reread(subscription_id: str) -> dict[str, Any]:
    """The subscription as Stripe has it now: the tie-breaker when events disagree, and the
    source when an event only names it."""
    with stripe_errors("subscription_retrieve"):
        return as_dict(stripe_client().v1.subscriptions.retrieve(subscription_id))
