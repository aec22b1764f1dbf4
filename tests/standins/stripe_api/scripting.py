"""What a test scripts on the stand-in: subscriptions in a chosen state, and what Stripe sends to
a webhook (events, invoices, charges), signed with Stripe's scheme."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

from .store import API_VERSION, MONTH, NOW, ObjectStore


class Scripting(ObjectStore):
    def add_subscription(
        self,
        *,
        customer: str,
        price_id: str,
        status: str = "active",
        metadata: dict[str, str] | None = None,
        period_start: int = NOW,
        cancel_at_period_end: bool = False,
    ) -> dict[str, Any]:
        """A subscription as Stripe holds it after a checkout (the test decides its state)."""
        with self._lock:
            subscription_id = self._new_id("sub")
            price = self.objects.get(price_id) or {"id": price_id, "object": "price"}
            item = {
                "id": self._new_id("si"),
                "object": "subscription_item",
                "price": price,
                "quantity": 1,
                "subscription": subscription_id,
                "current_period_start": period_start,
                "current_period_end": period_start + MONTH,
                "metadata": {},
            }
            return self._store(
                {
                    "id": subscription_id,
                    "object": "subscription",
                    "customer": customer,
                    "status": status,
                    "items": {
                        "object": "list",
                        "data": [item],
                        "has_more": False,
                        "url": f"/v1/subscription_items?subscription={subscription_id}",
                    },
                    "cancel_at_period_end": cancel_at_period_end,
                    "cancel_at": None,
                    "canceled_at": None,
                    "ended_at": None,
                    "start_date": period_start,
                    "billing_cycle_anchor": period_start,
                    "collection_method": "charge_automatically",
                    "latest_invoice": None,
                    "metadata": metadata or {},
                    "created": period_start,
                    "livemode": False,
                }
            )

    def snapshot(self, object_id: str, **changes: Any) -> dict[str, Any]:
        """A copy of a stored object with `changes`: an event's object at some earlier time."""
        with self._lock:
            copy: dict[str, Any] = json.loads(json.dumps(self.objects[object_id]))
        copy.update(changes)
        return copy

    def set_state(self, object_id: str, **changes: Any) -> dict[str, Any]:
        with self._lock:
            self.objects[object_id].update(changes)
            return self.objects[object_id]

    def invoice(
        self,
        subscription: dict[str, Any],
        *,
        amount: int,
        currency: str,
        discount: int = 0,
        tax: int = 0,
        status: str = "paid",
        payment_intent: str | None = None,
    ) -> dict[str, Any]:
        """A subscription's invoice; `amount` is the line's price before discount and tax."""
        item = subscription["items"]["data"][0]
        invoice_id = self._new_id("in")
        total = amount - discount + tax
        paid = status == "paid"
        return {
            "id": invoice_id,
            "object": "invoice",
            "number": f"STANDIN-{invoice_id[-4:]}",
            "customer": subscription["customer"],
            "status": status,
            "currency": currency,
            "billing_reason": "subscription_create",
            "parent": {
                "type": "subscription_details",
                "quote_details": None,
                "subscription_details": {
                    "subscription": subscription["id"],
                    "metadata": subscription.get("metadata") or {},
                },
            },
            "lines": {
                "object": "list",
                "has_more": False,
                "data": [
                    {
                        "id": self._new_id("il"),
                        "object": "line_item",
                        "amount": amount,
                        "currency": currency,
                        "description": f"1 x {item['price'].get('id')} (at {amount} / month)",
                        "quantity": 1,
                        "period": {
                            "start": item["current_period_start"],
                            "end": item["current_period_end"],
                        },
                        "pricing": {
                            "type": "price_details",
                            "price_details": {
                                "price": item["price"]["id"],
                                "product": item["price"].get("product"),
                            },
                            "unit_amount_decimal": str(amount),
                        },
                    }
                ],
            },
            "subtotal": amount,
            "total_discount_amounts": (
                [{"amount": discount, "discount": "di_standin"}] if discount else []
            ),
            "total_taxes": (
                [
                    {
                        "amount": tax,
                        "tax_behavior": "exclusive",
                        "taxability_reason": "standard_rated",
                        "taxable_amount": amount - discount,
                        "type": "tax_rate_details",
                    }
                ]
                if tax
                else []
            ),
            "total": total,
            "amount_due": total,
            "amount_paid": total if paid else 0,
            "amount_remaining": 0 if paid else total,
            "attempt_count": 1,
            "next_payment_attempt": None if paid else NOW + 3 * 86400,
            "hosted_invoice_url": f"https://invoice.stripe.com/i/acct_standin/{invoice_id}",
            "invoice_pdf": f"https://pay.stripe.com/invoice/acct_standin/{invoice_id}/pdf",
            "payments": {
                "object": "list",
                "has_more": False,
                "data": (
                    [
                        {
                            "id": self._new_id("inpay"),
                            "object": "invoice_payment",
                            "invoice": invoice_id,
                            "is_default": True,
                            "status": "paid",
                            "payment": {
                                "type": "payment_intent",
                                "payment_intent": payment_intent,
                            },
                        }
                    ]
                    if payment_intent
                    else []
                ),
            },
            "status_transitions": {"paid_at": item["current_period_start"] if paid else None},
            "period_start": item["current_period_start"],
            "period_end": item["current_period_start"],
            "created": item["current_period_start"],
            "livemode": False,
        }

    def charge(
        self, *, payment_intent: str, amount: int, refunded: int, currency: str
    ) -> dict[str, Any]:
        return {
            "id": self._new_id("ch"),
            "object": "charge",
            "amount": amount,
            "amount_captured": amount,
            "amount_refunded": refunded,
            "refunded": refunded >= amount,
            "currency": currency,
            "payment_intent": payment_intent,
            "receipt_url": "https://pay.stripe.com/receipts/standin",
            "status": "succeeded",
            "created": NOW,
            "livemode": False,
        }

    def event(self, event_type: str, obj: dict[str, Any], *, created: int) -> dict[str, Any]:
        return {
            "id": self._new_id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "type": event_type,
            "created": created,
            "data": {"object": obj},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
        }

    def checkout_completed(self, session_id: str, subscription: dict[str, Any]) -> dict[str, Any]:
        """The stored checkout session as Stripe completes it."""
        return self.snapshot(
            session_id,
            status="complete",
            payment_status="paid",
            subscription=subscription["id"],
            customer=subscription["customer"],
        )


class PaymentScripting(Scripting):
    """What Stripe does with a `payment`-mode checkout session (a one-time purchase): the
    learner pays on Stripe's page and Stripe creates a payment intent and its charge."""

    def pay_session(self, session_id: str, *, settled: bool = True) -> dict[str, Any]:
        """The session as Stripe completes it. `settled=False`: a delayed method (a bank
        debit): the session completes `unpaid` and the intent stays `processing` until
        `settle_session`."""
        with self._lock:
            session = self.objects[session_id]
            intent_id = self._new_id("pi")
            self._store(
                {
                    "id": intent_id,
                    "object": "payment_intent",
                    "amount": session["amount_total"],
                    "amount_received": session["amount_total"] if settled else 0,
                    "currency": session["currency"],
                    "customer": session["customer"],
                    "status": "succeeded" if settled else "processing",
                    "latest_charge": None,
                    "metadata": (session.get("submitted_params") or {})
                    .get("payment_intent_data", {})
                    .get("metadata", {}),
                    "created": NOW,
                    "livemode": False,
                }
            )
            session.update(
                status="complete",
                payment_status="paid" if settled else "unpaid",
                payment_intent=intent_id,
            )
        if settled:
            self._charge_intent(intent_id)
        return self.snapshot(session_id)

    def settle_session(self, session_id: str) -> dict[str, Any]:
        """The delayed payment succeeded: what `checkout.session.async_payment_succeeded`
        carries."""
        with self._lock:
            session = self.objects[session_id]
            intent = self.objects[session["payment_intent"]]
            intent.update(status="succeeded", amount_received=intent["amount"])
            session.update(payment_status="paid")
        self._charge_intent(intent["id"])
        return self.snapshot(session_id)

    def refund_intent(self, intent_id: str, amount: int) -> dict[str, Any]:
        """Refunds `amount` more of the intent's charge; the charge as `charge.refunded`
        carries it (the cumulative `amount_refunded`)."""
        with self._lock:
            charge = self.objects[self.objects[intent_id]["latest_charge"]]
            charge["amount_refunded"] += amount
            charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        return self.snapshot(charge["id"])

    def _charge_intent(self, intent_id: str) -> dict[str, Any]:
        with self._lock:
            intent = self.objects[intent_id]
            charge_id = self._new_id("ch")
            intent["latest_charge"] = charge_id
            return self._store(
                {
                    "id": charge_id,
                    "object": "charge",
                    "amount": intent["amount"],
                    "amount_captured": intent["amount"],
                    "amount_refunded": 0,
                    "refunded": False,
                    "currency": intent["currency"],
                    "customer": intent["customer"],
                    "payment_intent": intent_id,
                    "receipt_number": f"STANDIN-{charge_id[-4:]}",
                    "receipt_url": f"https://pay.stripe.com/receipts/standin/{charge_id}",
                    "status": "succeeded",
                    "paid": True,
                    "metadata": intent["metadata"],
                    "created": NOW,
                    "livemode": False,
                }
            )


def sign(payload: str, secret: str, *, timestamp: int | None = None) -> str:
    """The `Stripe-Signature` header Stripe sends: `t=<unix time>,v1=<HMAC-SHA256 hex>` of
    `"<t>.<payload>"` under the endpoint's signing secret."""
    moment = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{moment}.{payload}".encode(), hashlib.sha256)
    return f"t={moment},v1={mac.hexdigest()}"
