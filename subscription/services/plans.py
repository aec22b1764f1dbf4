"""Selling plans and credit packs through Stripe: each becomes a product with a price (see
`catalog` for how the mirror stays idempotent)."""

from __future__ import annotations

from ..models import CreditPack, SubscriptionPlan
from .catalog import Listing, listing_sync


def product_id_for(plan: SubscriptionPlan) -> str:
    return f"studymate_{plan.code}"


def pack_product_id_for(pack: CreditPack) -> str:
    # "-" cannot follow "studymate" in a plan's product id, so the two never collide.
    return f"studymate-pack-{pack.code}"


def plan_sync_to_stripe(*, plan: SubscriptionPlan) -> list[str]:
    """The plan's product and monthly/yearly price; the free plan is not sold and is skipped."""
    if plan.is_free:
        return []
    listing = Listing(
        item=plan,
        product_id=product_id_for(plan),
        metadata={"plan_code": plan.code},
        interval=plan.interval,
    )
    return listing_sync(listing=listing)


def pack_sync_to_stripe(*, pack: CreditPack) -> list[str]:
    """The credit pack's product and one-time price."""
    listing = Listing(
        item=pack,
        product_id=pack_product_id_for(pack),
        metadata={"pack_code": pack.code},
        interval=None,
    )
    return listing_sync(listing=listing)
