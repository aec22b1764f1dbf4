"""The AI gateway's credit hook, provided through its `ai.credits` port: a request is charged
before any model is called and given back if it fails (see `studymate_api.ai.credits`).

What is free. Tasks priced 0 (BILLING_AI_CREDIT_COSTS), system calls (no user), and, while
BILLING_LOCAL_PROVIDER_FREE is on (the default), the offline `local` provider's answers: a
request only `local` can answer (no hosted provider configured, or the learner asked for it) is
not charged at all, and one charged for a hosted provider that `local` answered in the end (the
hosted ones failed) is given back when it settles.

An identical request is charged once. Identical: the same learner, task, provider asked first
and input (the text and the task's parameters, exactly: `studymate_api.ai.credits`'s
`request_fingerprint`) within the Idempotency-Key window (IDEMPOTENCY_KEY_TTL_SECONDS, 24 hours)
of the charge that stands for it. So a quiz asked for twice with the same material and settings,
or a summary requested again while the first is still being generated, costs what one costs;
a client retry under the same Idempotency-Key never reaches the gateway at all (the response is
replayed). A charge refunded because its request failed does not count: the next identical
request is charged. A repeat that succeeds checks again when it settles, and is charged if the
charge it relied on was refunded meanwhile (the first request failed while it ran).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

import structlog
from django.conf import settings

from studymate_api.ai import (
    LOCAL_PROVIDER,
    AITask,
    CreditRequest,
    Settle,
    UsageSummary,
    credits_port,
)
from studymate_api.core.errors import InsufficientCredits

from ..models import CreditReason
from .credits import credits_charge_once, credits_refund

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


def _local_free() -> bool:
    return bool(settings.BILLING_LOCAL_PROVIDER_FREE)


def _window() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.IDEMPOTENCY_KEY_TTL_SECONDS)


def reserve_ai_credits(request: CreditRequest) -> Settle | None:
    """Charges the task's credits now, once per identical request (raising
    `InsufficientCredits` when short); the returned settle function gives back what this
    request was charged if it failed or `local` answered it for free (see the module
    docstring)."""
    cost = ai_task_cost(request.task)
    if request.user is None or cost == 0:
        return None
    if _local_free() and all(name == LOCAL_PROVIDER for name in request.providers):
        return None
    learner = cast("User", request.user)  # the project's user model
    task = str(request.task)
    request_key = f"ai:{request.fingerprint}"

    def charge() -> tuple[str, bool]:
        return credits_charge_once(
            user=learner,
            amount=cost,
            reason=CreditReason.AI_USAGE,
            request_key=request_key,
            within=_window(),
            reference=task,
        )

    charge_key, charged = charge()

    def settle(usage: UsageSummary) -> None:
        free = _local_free() and usage.provider == LOCAL_PROVIDER
        if charged:
            if usage.succeeded and not free:
                return
            why = "free local provider" if usage.succeeded else "failed"
            credits_refund(user=learner, charge_key=charge_key, reference=str(usage.request_id))
            logger.info("ai_credits_refunded", user_id=learner.pk, task=task, credits=cost, why=why)
        elif usage.succeeded and not free:
            _charge_if_still_due(charge, learner.pk, task)

    return settle


def _charge_if_still_due(charge: Callable[[], tuple[str, bool]], user_id: int, task: str) -> None:
    """A repeat that succeeded: charged now if the charge it relied on was refunded meanwhile
    (a no-op otherwise). The answer is given already, so a learner who has run out meanwhile
    keeps it; that is logged."""
    try:
        charge()
    except InsufficientCredits:
        logger.warning("ai_repeat_uncharged", user_id=user_id, task=task)


def install_credit_hook() -> None:
    """Provides the gateway's `ai.credits` port (from `SubscriptionConfig.ready`): AI requests
    cost credits unless BILLING_CREDITS_ENABLED is off (then the port's free default stays)."""
    credits_port.provide(reserve_ai_credits if settings.BILLING_CREDITS_ENABLED else None)
