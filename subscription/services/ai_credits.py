"""The AI gateway's credit hook, provided through its `ai.credits` port: a request is charged
before any model is called and given back if it fails (see `studymate_api.ai.credits`)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, cast

import structlog
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser

from studymate_api.ai import AITask, Settle, UsageSummary, credits_port

from ..models import CreditReason
from .credits import credits_charge, credits_refund

if TYPE_CHECKING:
    from accounts.models import User

logger = structlog.get_logger(__name__)

# Which BILLING_AI_CREDIT_COSTS entry prices each gateway task.
TASK_FAMILIES: dict[AITask, str] = {
    AITask.SUMMARY_BRIEF: "summary",
    AITask.SUMMARY_DETAILED: "summary",
    AITask.SUMMARY_BULLETS: "summary",
    AITask.KEY_CONCEPTS: "summary",
    AITask.QUIZ_QUESTIONS: "quiz_generation",
    AITask.ESSAY_GRADING: "essay_grading",
    AITask.CHAT: "chat",
}


def ai_task_cost(task: AITask) -> int:
    costs: dict[str, int] = settings.BILLING_AI_CREDIT_COSTS
    return costs.get(TASK_FAMILIES[task], 0)


def reserve_ai_credits(
    user: AbstractBaseUser | None, task: AITask, estimated_cost_usd: Decimal
) -> Settle | None:
    """Charges the task's credits now (raising `InsufficientCredits` when short); the returned
    settle function refunds the charge if the request failed. System calls (no user) and
    free tasks are not charged."""
    cost = ai_task_cost(task)
    if user is None or cost == 0:
        return None
    learner = cast("User", user)  # the project's user model
    charge_key = f"ai:{uuid.uuid4()}"
    credits_charge(
        user=learner,
        amount=cost,
        reason=CreditReason.AI_USAGE,
        idempotency_key=charge_key,
        reference=str(task),
    )

    def settle(usage: UsageSummary) -> None:
        if usage.succeeded:
            return
        credits_refund(user=learner, charge_key=charge_key, reference=str(usage.request_id))
        logger.info("ai_credits_refunded", user_id=learner.pk, task=str(task), credits=cost)

    return settle


def install_credit_hook() -> None:
    """Provides the gateway's `ai.credits` port (from `SubscriptionConfig.ready`): AI requests
    cost credits unless BILLING_CREDITS_ENABLED is off (then the port's free default stays)."""
    credits_port.provide(reserve_ai_credits if settings.BILLING_CREDITS_ENABLED else None)
