"""The objects the stand-in creates, in Stripe's JSON shapes, from the SDK's parameters."""

from __future__ import annotations

from typing import Any

from .forms import to_bool, to_int
from .store import NOW, ObjectStore


class ObjectShapes(ObjectStore):
    def _create_customer(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._store(
            {
                "id": self._new_id("cus"),
                "object": "customer",
                "email": params.get("email"),
                "name": params.get("name"),
                "metadata": params.get("metadata") or {},
                "created": NOW,
                "livemode": False,
                "invoice_settings": {"default_payment_method": None},
            }
        )

    def _create_checkout_session(self, params: dict[str, Any]) -> dict[str, Any]:
        session_id = self._new_id("cs_test")
        amount, currency = self._line_items_total(params.get("line_items") or [])
        return self._store(
            {
                "id": session_id,
                "object": "checkout.session",
                "mode": params.get("mode"),
                "status": "open",
                "payment_status": "unpaid",
                "payment_intent": None,
                "currency": currency,
                "amount_subtotal": amount,
                "amount_total": amount,
                "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
                "customer": params.get("customer"),
                "client_reference_id": params.get("client_reference_id"),
                "line_items": None,
                "discounts": params.get("discounts") or [],
                "allow_promotion_codes": to_bool(params.get("allow_promotion_codes"), False),
                "metadata": params.get("metadata") or {},
                "subscription": None,
                "success_url": params.get("success_url"),
                "cancel_url": params.get("cancel_url"),
                "url": f"https://checkout.stripe.com/c/pay/{session_id}",
                "created": NOW,
                "expires_at": NOW + 86400,
                "livemode": False,
                "submitted_params": params,
            }
        )

    def _line_items_total(self, lines: list[dict[str, Any]]) -> tuple[int | None, str | None]:
        """What Stripe would charge for the session's lines, from the stored prices."""
        amount, currency = 0, None
        for line in lines:
            price = self.objects.get(str(line.get("price")))
            if price is None:
                return None, None
            amount += int(price["unit_amount"] or 0) * int(line.get("quantity") or 1)
            currency = price["currency"]
        return amount, currency

    def _create_portal_session(self, params: dict[str, Any]) -> dict[str, Any]:
        session_id = self._new_id("bps")
        return self._store(
            {
                "id": session_id,
                "object": "billing_portal.session",
                "customer": params.get("customer"),
                "return_url": params.get("return_url"),
                "url": f"https://billing.stripe.com/p/session/{session_id}",
                "created": NOW,
                "livemode": False,
            }
        )

    def _create_product(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._store(
            {
                "id": params.get("id") or self._new_id("prod"),
                "object": "product",
                "name": params.get("name"),
                "description": params.get("description"),
                "active": to_bool(params.get("active"), True),
                "metadata": params.get("metadata") or {},
                "created": NOW,
                "updated": NOW,
                "livemode": False,
            }
        )

    def _create_price(self, params: dict[str, Any]) -> dict[str, Any]:
        recurring = params.get("recurring") or {}
        return self._store(
            {
                "id": self._new_id("price"),
                "object": "price",
                "product": params.get("product"),
                "unit_amount": to_int(params.get("unit_amount")),
                "currency": params.get("currency"),
                "type": "recurring" if recurring else "one_time",
                "recurring": (
                    {
                        "interval": recurring.get("interval"),
                        "interval_count": int(recurring.get("interval_count") or 1),
                        "usage_type": "licensed",
                        "meter": None,
                    }
                    if recurring
                    else None
                ),
                "active": True,
                "billing_scheme": "per_unit",
                "lookup_key": None,
                "metadata": params.get("metadata") or {},
                "created": NOW,
                "livemode": False,
            }
        )

    def _create_coupon(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._store(
            {
                "id": params.get("id") or self._new_id("coupon"),
                "object": "coupon",
                "name": params.get("name"),
                "percent_off": float(params["percent_off"]) if params.get("percent_off") else None,
                "amount_off": to_int(params.get("amount_off")),
                "currency": params.get("currency"),
                "duration": params.get("duration", "once"),
                "applies_to": params.get("applies_to"),
                "max_redemptions": to_int(params.get("max_redemptions")),
                "redeem_by": to_int(params.get("redeem_by")),
                "times_redeemed": 0,
                "valid": True,
                "metadata": params.get("metadata") or {},
                "created": NOW,
                "livemode": False,
            }
        )

    def _create_promotion_code(self, params: dict[str, Any]) -> dict[str, Any]:
        restrictions = params.get("restrictions") or {}
        return self._store(
            {
                "id": self._new_id("promo"),
                "object": "promotion_code",
                "code": params.get("code"),
                "promotion": params.get("promotion"),
                "active": to_bool(params.get("active"), True),
                "max_redemptions": to_int(params.get("max_redemptions")),
                "expires_at": to_int(params.get("expires_at")),
                "restrictions": {
                    "first_time_transaction": to_bool(restrictions.get("first_time_transaction")),
                    "minimum_amount": None,
                    "minimum_amount_currency": None,
                },
                "times_redeemed": 0,
                "metadata": params.get("metadata") or {},
                "created": NOW,
                "livemode": False,
            }
        )
