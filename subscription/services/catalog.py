"""Mirroring what we sell (plans, credit packs) to Stripe products and prices
(`manage.py billing_sync_plans`).

Idempotent: each item's product has a fixed id, so running again updates the same product
instead of creating another. Stripe prices are immutable: when an item's amount, currency or
interval changes, a new price is created, stored, and the old one archived (existing
subscribers keep paying the old price until they change plans). Plans get recurring prices,
credit packs one-time prices.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import stripe
from django.db import transaction

from ..models import CreditPack, SubscriptionPlan
from ..stripe_api import as_dict, is_missing, stripe_client, stripe_errors

Sellable = SubscriptionPlan | CreditPack


@dataclass(frozen=True)
class Listing:
    """One item as Stripe sells it."""

    item: Sellable
    # The product id used when the item has none yet.
    product_id: str
    # Stored on the product and the price: webhooks find the item from a price by it.
    metadata: dict[str, str]
    # "month"/"year" for a recurring price; None for a one-time price.
    interval: str | None


def listing_sync(*, listing: Listing) -> list[str]:
    """Brings the item's Stripe product and price in line; returns what was done, e.g.
    `["product created", "price created"]` (empty when nothing changed)."""
    client = stripe_client()
    with stripe_errors("catalog_sync"):
        done = _sync_product(client, listing)
        done += _sync_price(client, listing)
    return done


def _product_params(listing: Listing) -> dict[str, Any]:
    item = listing.item
    return {
        "name": item.name,
        "description": item.description or item.name,
        "active": item.is_active,
        "metadata": listing.metadata,
    }


def _sync_product(client: stripe.StripeClient, listing: Listing) -> list[str]:
    item = listing.item
    product_id = item.stripe_product_id or listing.product_id
    wanted = _product_params(listing)
    try:
        product = client.v1.products.retrieve(product_id)
    except stripe.InvalidRequestError as error:
        if not is_missing(error):
            raise
        client.v1.products.create({"id": product_id, **wanted})  # type: ignore[typeddict-item]
        _store(item, stripe_product_id=product_id)
        return ["product created"]
    stored = as_dict(product)
    stored_metadata = stored.get("metadata") or {}
    current = {
        "name": stored.get("name"),
        "description": stored.get("description") or "",
        "active": stored.get("active"),
        "metadata": {key: stored_metadata.get(key, "") for key in listing.metadata},
    }
    if item.stripe_product_id != product_id:
        _store(item, stripe_product_id=product_id)
    if current == wanted:
        return []
    client.v1.products.update(product_id, wanted)  # type: ignore[arg-type]
    return ["product updated"]


def _sync_price(client: stripe.StripeClient, listing: Listing) -> list[str]:
    item = listing.item
    old_price_id = item.stripe_price_id
    if old_price_id:
        price = client.v1.prices.retrieve(old_price_id)
        if _price_matches(price, listing) and price.active:
            return []
    params: dict[str, Any] = {
        "product": item.stripe_product_id,
        "unit_amount": item.price_amount,
        "currency": item.currency.lower(),
        "metadata": listing.metadata,
    }
    if listing.interval is not None:
        params["recurring"] = {"interval": listing.interval}
    new_price = client.v1.prices.create(
        params,  # type: ignore[arg-type]
        {"idempotency_key": _price_idempotency_key(listing)},
    )
    _store(item, stripe_price_id=new_price.id)
    done = ["price created"]
    if old_price_id and old_price_id != new_price.id:
        client.v1.prices.update(old_price_id, {"active": False})
        done.append("old price archived")
    return done


def _price_matches(price: stripe.Price, listing: Listing) -> bool:
    interval = price.recurring.interval if price.recurring else None
    return (
        price.unit_amount == listing.item.price_amount
        and price.currency == listing.item.currency.lower()
        and interval == listing.interval
    )


def _price_idempotency_key(listing: Listing) -> str:
    # The same terms retried (after a crash before saving) return the same price.
    item = listing.item
    terms = (
        f"{item.stripe_product_id}:{item.price_amount}:{item.currency.lower()}:"
        f"{listing.interval or 'once'}"
    )
    return f"studymate-price-{terms}-{item.stripe_price_id or 'first'}"


def _store(item: Sellable, **fields: str) -> None:
    with transaction.atomic():
        type(item).objects.filter(pk=item.pk).update(**fields)
    for name, value in fields.items():
        setattr(item, name, value)
