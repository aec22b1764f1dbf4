"""Promotion codes: whether a code applies, and mirroring codes to Stripe.

`discount_check` answers why a code does not apply, in the order a learner can act on: unknown,
inactive, not yet valid, expired, used up, already used by you, not for this plan, only for a
first subscription.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ..models import Discount, DiscountRedemption, SubscriptionPlan, UserSubscription
from ..money import format_money, money_payload
from ..stripe_api import billing_configured, stripe_client, stripe_errors

if TYPE_CHECKING:
    from accounts.models import User


@dataclass(frozen=True)
class DiscountCheck:
    valid: bool
    reason: str
    discount: Discount | None = None
    # What the first payment comes to, in minor units, when the code applies.
    discounted_amount: int | None = None


def discount_find(code: str) -> Discount | None:
    return Discount.objects.prefetch_related("plans").filter(code__iexact=code.strip()).first()


def discount_check(*, user: User, code: str, plan: SubscriptionPlan) -> DiscountCheck:
    discount = discount_find(code)
    if discount is None:
        return DiscountCheck(False, str(_("This code does not exist.")))
    problem = _why_not(discount, user, plan)
    if problem is not None:
        return DiscountCheck(False, str(problem), discount)
    amount = discounted_amount(discount, plan)
    reason = _("The code applies: the first payment is %(amount)s.") % {
        "amount": format_money(amount, plan.currency)
    }
    return DiscountCheck(True, str(reason), discount, amount)


def _why_not(discount: Discount, user: User, plan: SubscriptionPlan) -> Promise | None:
    now = timezone.now()
    checks: list[tuple[bool, Promise]] = [
        (not discount.is_active, _("This code is no longer active.")),
        (_not_started(discount, now), _("This code is not valid yet.")),
        (_expired(discount, now), _("This code has expired.")),
        (_used_up(discount), _("This code has been used the maximum number of times.")),
        (_used_by(discount, user), _("You have already used this code.")),
        (not _fits_plan(discount, plan), _("This code does not apply to the chosen plan.")),
        (_not_first(discount, user), _("This code is only for a first subscription.")),
        (_wrong_currency(discount, plan), _("This code is for another currency.")),
    ]
    return next((message for failed, message in checks if failed), None)


def _not_started(discount: Discount, now: datetime.datetime) -> bool:
    return discount.valid_from is not None and now < discount.valid_from


def _expired(discount: Discount, now: datetime.datetime) -> bool:
    return discount.valid_until is not None and now >= discount.valid_until


def _used_up(discount: Discount) -> bool:
    limit = discount.max_redemptions
    return limit is not None and discount.redemptions.count() >= limit


def _used_by(discount: Discount, user: User) -> bool:
    return discount.once_per_user and discount.redemptions.filter(user=user).exists()


def _fits_plan(discount: Discount, plan: SubscriptionPlan) -> bool:
    if plan.is_free:
        return False
    plans = list(discount.plans.all())
    return not plans or plan in plans


def _not_first(discount: Discount, user: User) -> bool:
    return discount.first_subscription_only and UserSubscription.objects.filter(user=user).exists()


def _wrong_currency(discount: Discount, plan: SubscriptionPlan) -> bool:
    return discount.amount_off is not None and discount.currency.lower() != plan.currency.lower()


def discounted_amount(discount: Discount, plan: SubscriptionPlan) -> int:
    if discount.percent_off is not None:
        off = plan.price_amount * discount.percent_off // 100
    else:
        off = discount.amount_off or 0
    return max(0, plan.price_amount - off)


def discount_redeem(*, discount: Discount, user: User, checkout_session_id: str) -> None:
    """Records that a completed checkout used the code (once per session)."""
    DiscountRedemption.objects.get_or_create(
        stripe_checkout_session_id=checkout_session_id,
        defaults={"discount": discount, "user": user},
    )


# --- the Stripe mirror --------------------------------------------------------------------------


def discount_mirror_to_stripe(*, discount: Discount) -> bool:
    """Creates the Stripe coupon and promotion code of a new discount, or switches the
    promotion code on/off to follow `is_active`. Stripe coupons cannot change their amounts:
    edit a discount's terms by making a new code. False when billing is not configured."""
    if not billing_configured():
        return False
    client = stripe_client()
    with stripe_errors("discount_mirror"), transaction.atomic():
        locked = Discount.objects.select_for_update().get(pk=discount.pk)
        if not locked.stripe_coupon_id:
            coupon = client.v1.coupons.create(_coupon_params(locked))
            locked.stripe_coupon_id = coupon.id
        if not locked.stripe_promotion_code_id:
            promo = client.v1.promotion_codes.create(_promotion_params(locked))
            locked.stripe_promotion_code_id = promo.id
        else:
            client.v1.promotion_codes.update(
                locked.stripe_promotion_code_id, {"active": locked.is_active}
            )
        locked.save(update_fields=["stripe_coupon_id", "stripe_promotion_code_id"])
    discount.stripe_coupon_id = locked.stripe_coupon_id
    discount.stripe_promotion_code_id = locked.stripe_promotion_code_id
    return True


def _coupon_params(discount: Discount) -> Any:
    params: dict[str, Any] = {"duration": "once", "name": discount.name or discount.code}
    if discount.percent_off is not None:
        params["percent_off"] = discount.percent_off
    else:
        params["amount_off"] = discount.amount_off
        params["currency"] = discount.currency.lower()
    products = [p.stripe_product_id for p in discount.plans.all() if p.stripe_product_id]
    if products:
        params["applies_to"] = {"products": products}
    params["metadata"] = {"discount_id": str(discount.pk)}
    return params


def _promotion_params(discount: Discount) -> Any:
    params: dict[str, Any] = {
        "promotion": {"type": "coupon", "coupon": discount.stripe_coupon_id},
        "code": discount.code,
        "active": discount.is_active,
        "metadata": {"discount_id": str(discount.pk)},
    }
    if discount.max_redemptions is not None:
        params["max_redemptions"] = discount.max_redemptions
    if discount.valid_until is not None:
        params["expires_at"] = int(discount.valid_until.timestamp())
    if discount.first_subscription_only:
        params["restrictions"] = {"first_time_transaction": True}
    return params


def discount_check_payload(
    check: DiscountCheck, *, code: str, plan: SubscriptionPlan
) -> dict[str, Any]:
    discount = check.discount
    return {
        "valid": check.valid,
        "reason": check.reason,
        "code": code.strip(),
        "plan_id": plan.pk,
        "percent_off": discount.percent_off if discount and check.valid else None,
        "amount_off": discount.amount_off if discount and check.valid else None,
        "original_price": money_payload(plan.price_amount, plan.currency),
        "discounted_price": (
            money_payload(check.discounted_amount, plan.currency)
            if check.discounted_amount is not None
            else None
        ),
    }
