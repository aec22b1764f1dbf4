"""Credit balance and history."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.utils import timezone

from ..models import CreditLedger
from .plans import subscription_current

if TYPE_CHECKING:
    from accounts.models import User

    from ..models import SubscriptionPlan


def credits_balance(*, user_id: int) -> int:
    """The newest entry's `balance_after`: the ledger is the only record of the balance."""
    latest = (
        CreditLedger.objects.filter(user_id=user_id)
        .order_by("-id")
        .values_list("balance_after", flat=True)
        .first()
    )
    return latest or 0


def credits_ledger(*, user: User) -> QuerySet[CreditLedger]:
    return CreditLedger.objects.filter(user=user).order_by("-id")


@dataclass(frozen=True)
class CreditSummary:
    balance: int
    monthly_allowance: int
    resets_at: datetime.datetime | None
    plan: SubscriptionPlan


def credits_summary(*, user: User, plan: SubscriptionPlan) -> CreditSummary:
    """`resets_at`: when the next monthly allowance is granted (the paid period's end, or the
    start of the next calendar month UTC on the free plan)."""
    subscription = subscription_current(user=user)
    if subscription is not None:
        resets_at = subscription.current_period_end
    else:
        resets_at = next_month_start(timezone.now())
    return CreditSummary(
        balance=credits_balance(user_id=user.pk),
        monthly_allowance=plan.monthly_credits,
        resets_at=resets_at,
        plan=plan,
    )


def next_month_start(moment: datetime.datetime) -> datetime.datetime:
    utc = moment.astimezone(datetime.UTC)
    year, month = (utc.year + 1, 1) if utc.month == 12 else (utc.year, utc.month + 1)
    return datetime.datetime(year, month, 1, tzinfo=datetime.UTC)
