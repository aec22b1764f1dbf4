"""Plans and the plan a learner is on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Count, Max, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
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
    """The plan of `subscription_current`, else the free plan: one query for both (the free plan
    is created on the rare first call that finds none)."""
    current = (
        UserSubscription.objects.filter(user=user, status__in=ENTITLED_STATUSES)
        .order_by("-created_at", "-id")
        .values("plan_id")[:1]
    )
    found = SubscriptionPlan.objects.filter(Q(pk=Subquery(current)) | Q(code=FREE_PLAN_CODE))
    plans = list(found.annotate(subscribed=Q(pk=Subquery(current))))
    subscribed = next((plan for plan in plans if plan.subscribed), None)
    if subscribed is not None:
        return subscribed
    free = next((plan for plan in plans if plan.is_free), None)
    return free if free is not None else plan_free_get()


@dataclass(frozen=True)
class PlanTerms:
    """What billing reads of `effective_plan` on every charge: its code and monthly credits."""

    code: str
    monthly_credits: int

    @property
    def is_free(self) -> bool:
        return self.code == FREE_PLAN_CODE


def effective_plan_terms_annotations(*, user_id: int) -> dict[str, Any]:
    """`effective_plan`'s code and monthly credits as subqueries (`plan_code`,
    `plan_monthly_credits`), to annotate a query that reads something else: the learner's
    subscribed plan, else the free plan (None when no free plan row exists yet, see
    `effective_plan_terms`)."""
    current = UserSubscription.objects.filter(
        user_id=user_id, status__in=ENTITLED_STATUSES
    ).order_by("-created_at", "-id")
    free = SubscriptionPlan.objects.filter(code=FREE_PLAN_CODE)
    return {
        "plan_code": Coalesce(
            Subquery(current.values("plan__code")[:1]), Subquery(free.values("code")[:1])
        ),
        "plan_monthly_credits": Coalesce(
            Subquery(current.values("plan__monthly_credits")[:1]),
            Subquery(free.values("monthly_credits")[:1]),
        ),
    }


def effective_plan_terms(*, code: str | None, monthly_credits: int | None) -> PlanTerms:
    """The terms read by `effective_plan_terms_annotations`: the free plan's, created, when
    they found none."""
    if code is None or monthly_credits is None:
        plan = plan_free_get()
        return PlanTerms(code=plan.code, monthly_credits=plan.monthly_credits)
    return PlanTerms(code=code, monthly_credits=monthly_credits)


def subscriber_ids_on_plan(*, plan_code: str) -> QuerySet[UserSubscription, int]:
    """The ids of the learners whose subscription on the plan entitles them now (a subquery)."""
    entitled = UserSubscription.objects.filter(plan__code=plan_code, status__in=ENTITLED_STATUSES)
    return entitled.values_list("user_id", flat=True)
