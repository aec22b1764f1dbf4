"""A learner's billing when their account is deleted: the paid subscription ends at Stripe at
once when the deletion is requested (`subscription_cancel_for_account_deletion`, from accounts'
AccountDeletionRequested), and after the grace period what billing holds about the person is erased
(`subscription_erase_for_user`, from accounts' AccountErasureDue in `subscription.subscribers`).

Payments and the credit ledger are records the law requires us to keep (commerce and tax law:
five years): they stay, with the link to the person emptied and Stripe's hosted invoice and
receipt links (pages that show the customer's name and address) removed. Stripe's ids stay, so
an auditor, a refund or a chargeback can still be matched to the transaction at Stripe.
"""

from __future__ import annotations

from typing import Any

import stripe
import structlog
from django.db import transaction
from django.db.models import CharField, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from ..models import (
    CreditBalance,
    CreditLedger,
    DiscountRedemption,
    Payment,
    StripeCustomer,
    UserSubscription,
    WebhookEvent,
)
from ..models.subscriptions import SubscriptionStatus
from ..stripe_api import as_dict, billing_configured, is_missing, stripe_client, stripe_errors
from .subscriptions import subscription_apply

logger = structlog.get_logger(__name__)

# Subscriptions Stripe can still charge for; the others are over already.
_ENDED = (SubscriptionStatus.CANCELED, SubscriptionStatus.INCOMPLETE_EXPIRED)


def subscription_cancel_for_account_deletion(*, user_id: int) -> int:
    """Cancels every subscription of the learner that has not ended, at Stripe and now (not at
    the period's end: the account is going), without a refund of the running period. Returns
    how many were cancelled. Stripe's failure raises (`PaymentProviderUnavailable`): what is
    not cancelled yet stays as it was, for the outbox to try again. Idempotent: a subscription
    already cancelled at Stripe (or unknown to it) is stored as cancelled."""
    live = list(UserSubscription.objects.filter(user_id=user_id).exclude(status__in=_ENDED))
    if not live or not billing_configured():
        return 0
    client = stripe_client()
    for subscription in live:
        data = _cancel_at_stripe(client, subscription.stripe_subscription_id)
        with transaction.atomic():
            if data is not None:
                subscription_apply(data=data, as_of=timezone.now())
            else:
                UserSubscription.objects.filter(pk=subscription.pk).update(
                    status=SubscriptionStatus.CANCELED, canceled_at=timezone.now()
                )
    logger.info("subscriptions_cancelled_for_account_deletion", user_id=user_id, count=len(live))
    return len(live)


def _cancel_at_stripe(client: stripe.StripeClient, subscription_id: str) -> dict[str, Any] | None:
    """The cancelled subscription as Stripe answers it; None when Stripe does not know it."""
    with stripe_errors("subscription_cancel_for_account_deletion"):
        try:
            return as_dict(client.v1.subscriptions.cancel(subscription_id))
        except stripe.InvalidRequestError as error:
            if is_missing(error):
                return None
            raise


def subscription_erase_for_user(*, user_id: int) -> None:
    """After the grace period: the learner's Stripe customer is deleted at Stripe (its name and
    email there), then their subscriptions, customer link, credit balance and promo redemptions
    are deleted here, Stripe events about them keep only their ids (replays must still find
    them), and payments and ledger entries are kept without the person (module docstring).

    Calls Stripe first, so its subscriber is isolated: a failure rolls this back and the outbox
    tries again later; a customer Stripe no longer knows counts as deleted. Without billing
    configured the Stripe side is left as it is (logged). Running it again finds nothing."""
    links = StripeCustomer.objects.filter(user_id=user_id)
    subscriptions = UserSubscription.objects.filter(user_id=user_id)
    customers = set(links.values_list("stripe_customer_id", flat=True))
    customers |= {c for c in subscriptions.values_list("stripe_customer_id", flat=True) if c}
    _delete_customers_at_stripe(sorted(customers))
    with transaction.atomic():
        _webhook_events_forget(user_id=user_id, customers=customers)
        subscriptions.delete()
        links.delete()
        CreditBalance.objects.filter(user_id=user_id).delete()
        DiscountRedemption.objects.filter(user_id=user_id).delete()
        Payment.objects.filter(user_id=user_id).update(
            user=None, hosted_invoice_url="", invoice_pdf_url="", receipt_url=""
        )
        # Keys such as the monthly allowance's name the learner's id; each stays unique by row.
        CreditLedger.objects.filter(user_id=user_id).update(
            user=None, idempotency_key=Concat(Value("erased:"), Cast("id", CharField()))
        )
        CreditLedger.objects.filter(created_by_id=user_id).update(created_by=None)


def _delete_customers_at_stripe(customers: list[str]) -> None:
    if not customers:
        return
    if not billing_configured():
        logger.warning("stripe_customers_not_deleted", reason="billing not configured")
        return
    client = stripe_client()
    for customer_id in customers:
        with stripe_errors("customer_delete_for_account_erasure"):
            try:
                client.v1.customers.delete(customer_id)
            except stripe.InvalidRequestError as error:
                if not is_missing(error):
                    raise


def _webhook_events_forget(*, user_id: int, customers: set[str]) -> None:
    """Stripe's events about the learner (their customer, or checkout sessions that named their
    id) keep their id and type and lose the rest: the checkout session carries the customer's
    name and email."""
    about = Q(payload__data__object__client_reference_id=str(user_id)) | Q(
        payload__data__object__metadata__user_id=str(user_id)
    )
    for customer_id in customers:
        about |= Q(payload__data__object__customer=customer_id)
        about |= Q(payload__data__object__id=customer_id)
    for event in WebhookEvent.objects.filter(about).only("id", "stripe_event_id", "event_type"):
        event.payload = {
            "id": event.stripe_event_id,
            "type": event.event_type,
            "data": {"object": {}},
            "erased": True,
        }
        event.save(update_fields=["payload"])
