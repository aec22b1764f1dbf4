"""A stand-in for the Stripe API, as the official `stripe` SDK calls it.

Unlike the AI stand-ins it keeps state: customers, checkout and portal sessions, products,
prices, coupons, promotion codes and subscriptions are created, read, updated and deleted the
way Stripe does, with Stripe's JSON shapes (API version 2025-03-31 and later: periods on
subscription items, invoices with `parent.subscription_details`). It decodes the SDK's
form-encoded bodies (`metadata[user_id]=1`, `line_items[0][price]=...`), honours
`Idempotency-Key` (the same key answers the same object), checks the bearer key, answers
Stripe's error bodies (404 `resource_missing`), and records every request. A reply queued with
`enqueue` (e.g. a 500) is answered before the stateful routes, once.

Payment-mode checkout sessions (one-time purchases) carry their amounts from the stored prices;
`pay_session` completes one as Stripe does (a payment intent and its charge, with a receipt
link; or, for a delayed method, `unpaid` until `settle_session`), `refund_intent` refunds part
of the charge, and `GET` of payment intents and charges honours `expand[]`.

It also builds what Stripe would send to a webhook: `event(...)`, `invoice(...)`, `charge(...)`
and `sign(payload, secret)` (the real `t=...,v1=HMAC-SHA256` scheme).

    with StripeStandin(api_key="sk_test_standin") as api:
        client = stripe.StripeClient("sk_test_standin", base_addresses={"api": api.base_url})
"""

from .forms import decode_form
from .scripting import sign
from .server import StripeStandin
from .store import API_VERSION, MONTH, NOW

__all__ = ["API_VERSION", "MONTH", "NOW", "StripeStandin", "decode_form", "sign"]
