"""Buying credits once: a Stripe Checkout Session in `payment` mode for a credit pack.

The credits are granted by the webhook when Stripe reports the session paid (see
`webhooks.topups`), never when the session is created: the learner may close the page, or pay
with a method that settles days later.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.services.verification import user_ensure_may
from studymate_api.core.errors import validation_failed
from studymate_api.metrics import track_event

from ..models import CreditPack
from ..selectors.packs import pack_get_purchasable
from ..stripe_api import stripe_client, stripe_errors
from .checkout import CheckoutSession, customer_ensure

if TYPE_CHECKING:
    from accounts.models import User

# `metadata.kind` of a top-up's checkout session and payment intent.
TOP_UP_KIND = "credit_top_up"


def top_up_metadata(*, user: User, pack: CreditPack) -> dict[str, str]:
    """What the webhook reads back: who bought which pack, and how many credits it held at the
    time of purchase (an admin may change the pack before the payment settles)."""
    return {
        "kind": TOP_UP_KIND,
        "user_id": str(user.pk),
        "pack_id": str(pack.pk),
        "pack_code": pack.code,
        "credits": str(pack.credits),
    }


def top_up_checkout_create(*, user: User, pack_id: int) -> CheckoutSession:
    user_ensure_may(user=user, action="pay")  # 403 until the email is verified
    client = stripe_client()
    pack = pack_get_purchasable(pack_id=pack_id)
    if not pack.stripe_price_id:
        raise validation_failed("pack_id", _("This credit pack cannot be bought yet."))
    customer_id = customer_ensure(user=user, client=client)
    metadata = top_up_metadata(user=user, pack=pack)
    params: dict[str, Any] = {
        "mode": "payment",
        "customer": customer_id,
        "client_reference_id": str(user.pk),
        "line_items": [{"price": pack.stripe_price_id, "quantity": 1}],
        "success_url": settings.BILLING_TOP_UP_SUCCESS_URL,
        "cancel_url": settings.BILLING_TOP_UP_CANCEL_URL,
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata},
    }
    with stripe_errors("top_up_checkout_create"):
        session = client.v1.checkout.sessions.create(params)  # type: ignore[arg-type]
    track_event("top_up_started", user=user, pack=pack.code, credits=pack.credits)
    return CheckoutSession(checkout_url=session.url or "", session_id=session.id)
