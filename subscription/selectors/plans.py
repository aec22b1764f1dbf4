"""Plans and the plan a learner is on."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Count, Max, QuerySet
from django.utils.translation import gettext_lazy as _

from studymate_api.core.errors import NotFound

from ..models import (
    ENTITLED_STATUSES,
    FREE_PLAN_CODE,
    PlanInterval,
    SubscriptionPlan,
    UserSubscription,
)

if TYPE_CHECKING:
    from accounts.models import User


def plan_free_get() -> SubscriptionPlan:
    """The free plan, created with the settings' allowance the first time anything asks for it
    (tests and fresh databases need no data migration; an admin may edit it afterwards)."""
    plan, _created = SubscriptionPlan.objects.get_or_create(
        code=FREE_PLAN_CODE,
        defaults={
            "name": str(_("Free")),
            "price_amount": 0,
            "currency": settings.BILLING_FREE_PLAN_CURRENCY,
            "interval": PlanInterval.MONTH,
            "monthly_credits": settings.BILLING_FREE_PLAN_MONTHLY_CREDITS,
            "features": {"ai_summaries": True, "ai_quizzes": True},
        },
    )
    return plan


def plan_list() -> QuerySet[SubscriptionPlan]:
    plan_free_get()
    return SubscriptionPlan.objects.filter(is_active=True)


def plan_catalogue_version() -> tuple[int, str]:
    """Changes whenever a plan is added, saved or deleted: one small aggregate query. Plans
    are written by the admin and by commands, not through services that could invalidate a
    cache tag, so the list's ETag is built from this instead."""
    found = SubscriptionPlan.objects.aggregate(count=Count("id"), latest=Max("updated_at"))
    latest = found["latest"]
    return int(found["count"]), latest.isoformat() if latest else ""


def plan_get_purchasable(*, plan_id: int) -> SubscriptionPlan:
    plan = SubscriptionPlan.objects.filter(pk=plan_id, is_active=True).first()
    if plan is None:
        raise NotFound(_("No such plan."))
    return plan


def subscription_current(*, user: User) -> UserSubscription | None:
    """The learner's subscription that gives them a plan now, newest first."""
    return (
        UserSubscription.objects.select_related("plan")
        .filter(user=user, status__in=ENTITLED_STATUSES)
        .order_by("-created_at", "-id")
        .first()
    )


def effective_plan(*, user: User) -> SubscriptionPlan:
    subscription = subscription_current(user=user)
    return subscription.plan if subscription is not None else plan_free_get()
