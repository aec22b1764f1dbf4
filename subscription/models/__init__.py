"""Models of the subscription app, one module per concern."""

from .credits import CreditBalance, CreditLedger, CreditReason
from .customers import StripeCustomer
from .discounts import Discount, DiscountRedemption
from .packs import CreditPack
from .payments import Payment, PaymentKind, PaymentStatus
from .plans import FREE_PLAN_CODE, PlanInterval, SubscriptionPlan
from .subscriptions import ENTITLED_STATUSES, SubscriptionStatus, UserSubscription
from .webhooks import WebhookEvent

__all__ = [
    "ENTITLED_STATUSES",
    "FREE_PLAN_CODE",
    "CreditBalance",
    "CreditLedger",
    "CreditPack",
    "CreditReason",
    "Discount",
    "DiscountRedemption",
    "Payment",
    "PaymentKind",
    "PaymentStatus",
    "PlanInterval",
    "StripeCustomer",
    "SubscriptionPlan",
    "SubscriptionStatus",
    "UserSubscription",
    "WebhookEvent",
]
