"""Input and output serializers of the subscription endpoints."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from studymate_api.core.serializers import StrictInputSerializer

from .models import CreditLedger, CreditPack, Payment, SubscriptionPlan, UserSubscription
from .money import format_money, money_payload


class PlanOutputSerializer(serializers.ModelSerializer[SubscriptionPlan]):
    price = serializers.SerializerMethodField()
    is_free = serializers.BooleanField(read_only=True)

    class Meta:
        model = SubscriptionPlan
        fields = (
            "id",
            "code",
            "name",
            "description",
            "price_amount",
            "currency",
            "price",
            "interval",
            "monthly_credits",
            "features",
            "is_free",
        )

    def get_price(self, plan: SubscriptionPlan) -> str:
        return format_money(plan.price_amount, plan.currency)


class CreditPackOutputSerializer(serializers.ModelSerializer[CreditPack]):
    price = serializers.SerializerMethodField()

    class Meta:
        model = CreditPack
        fields = (
            "id",
            "code",
            "name",
            "description",
            "credits",
            "price_amount",
            "currency",
            "price",
        )

    def get_price(self, pack: CreditPack) -> str:
        return format_money(pack.price_amount, pack.currency)


# Ids are bigints: a larger number cannot name anything, and is refused as input.
MAX_ID = 2**63 - 1


@extend_schema_serializer(
    examples=[OpenApiExample("A credit pack", value={"pack_id": 1}, request_only=True)]
)
class TopUpInputSerializer(StrictInputSerializer):
    pack_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)


@extend_schema_serializer(
    examples=[
        OpenApiExample("A plan", value={"plan_id": 2}, request_only=True),
        OpenApiExample(
            "A plan with a promo code",
            value={"plan_id": 2, "promo_code": "WELCOME10"},
            request_only=True,
        ),
    ]
)
class CheckoutInputSerializer(StrictInputSerializer):
    plan_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    promo_code = serializers.CharField(max_length=64, required=False, allow_blank=True)


class CheckoutOutputSerializer(serializers.Serializer[Any]):
    checkout_url = serializers.URLField()
    session_id = serializers.CharField()


class PortalOutputSerializer(serializers.Serializer[Any]):
    url = serializers.URLField()


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Code for a plan", value={"code": "WELCOME10", "plan_id": 2}, request_only=True
        )
    ]
)
class PromoValidateInputSerializer(StrictInputSerializer):
    code = serializers.CharField(max_length=64)
    plan_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)


class PromoValidateOutputSerializer(serializers.Serializer[Any]):
    valid = serializers.BooleanField()
    reason = serializers.CharField()
    code = serializers.CharField()
    plan_id = serializers.IntegerField()
    percent_off = serializers.IntegerField(allow_null=True)
    amount_off = serializers.IntegerField(allow_null=True)
    original_price = serializers.DictField()
    discounted_price = serializers.DictField(allow_null=True)


class SubscriptionOutputSerializer(serializers.Serializer[Any]):
    """The plan you are on now: a paid subscription, or the free plan (no Stripe fields)."""

    plan = PlanOutputSerializer()
    status = serializers.CharField()
    current_period_start = serializers.DateTimeField(allow_null=True)
    current_period_end = serializers.DateTimeField(allow_null=True)
    cancel_at_period_end = serializers.BooleanField()
    stripe_subscription_id = serializers.CharField(allow_blank=True)


def subscription_payload(
    subscription: UserSubscription | None, plan: SubscriptionPlan
) -> dict[str, Any]:
    if subscription is None:
        return {
            "plan": plan,
            "status": "active",
            "current_period_start": None,
            "current_period_end": None,
            "cancel_at_period_end": False,
            "stripe_subscription_id": "",
        }
    return {
        "plan": subscription.plan,
        "status": subscription.status,
        "current_period_start": subscription.current_period_start,
        "current_period_end": subscription.current_period_end,
        "cancel_at_period_end": subscription.cancel_at_period_end,
        "stripe_subscription_id": subscription.stripe_subscription_id,
    }


class LedgerEntryOutputSerializer(serializers.ModelSerializer[CreditLedger]):
    class Meta:
        model = CreditLedger
        fields = ("id", "delta", "reason", "reference", "balance_after", "created_at")


class CreditsOutputSerializer(serializers.Serializer[Any]):
    balance = serializers.IntegerField()
    monthly_allowance = serializers.IntegerField()
    resets_at = serializers.DateTimeField(allow_null=True)
    plan = serializers.CharField()
    ledger = LedgerEntryOutputSerializer(many=True)


class CreditsQuerySerializer(StrictInputSerializer):
    ledger_limit = serializers.IntegerField(min_value=0, max_value=100, default=20)


class MoneySerializer(serializers.Serializer[Any]):
    amount = serializers.IntegerField()
    currency = serializers.CharField()
    formatted = serializers.CharField()


class PaymentOutputSerializer(serializers.ModelSerializer[Payment]):
    plan = serializers.CharField(source="plan.name", default="", read_only=True)
    credit_pack = serializers.CharField(source="credit_pack.name", default="", read_only=True)
    amount = serializers.SerializerMethodField()

    class Meta:
        model = Payment
        fields = (
            "id",
            "kind",
            "plan",
            "credit_pack",
            "credits_granted",
            "status",
            "currency",
            "amount_paid",
            "amount_refunded",
            "amount",
            "invoice_number",
            "paid_at",
            "period_start",
            "period_end",
        )

    @extend_schema_field(MoneySerializer)
    def get_amount(self, payment: Payment) -> dict[str, object]:
        return money_payload(payment.amount_paid, payment.currency)


class ReceiptLineSerializer(serializers.Serializer[Any]):
    description = serializers.CharField()
    quantity = serializers.IntegerField()
    amount = MoneySerializer()


# Documents `receipt_build`'s dict, which the receipt endpoint answers as it is.
class ReceiptOutputSerializer(serializers.Serializer[Any]):
    payment_id = serializers.IntegerField()
    kind = serializers.CharField()
    receipt_number = serializers.CharField()
    status = serializers.CharField()
    paid_at = serializers.DateTimeField()
    billed_to = serializers.DictField()
    plan = serializers.CharField()
    credit_pack = serializers.CharField()
    credits = serializers.IntegerField(help_text="Credits a top-up bought (0 otherwise).")
    credits_reversed = serializers.IntegerField(
        help_text="Credits taken back after a top-up's refund."
    )
    period_start = serializers.DateTimeField(allow_null=True)
    period_end = serializers.DateTimeField(allow_null=True)
    currency = serializers.CharField()
    line_items = ReceiptLineSerializer(many=True)
    subtotal = MoneySerializer()
    discount = MoneySerializer()
    tax = MoneySerializer()
    total = MoneySerializer()
    amount_paid = MoneySerializer()
    amount_refunded = MoneySerializer()
    receipt_url = serializers.CharField()
    invoice_pdf_url = serializers.CharField()


class WebhookOutputSerializer(serializers.Serializer[Any]):
    received = serializers.BooleanField()
    duplicate = serializers.BooleanField()
