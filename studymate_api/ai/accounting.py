"""What AI calls cost and who made them: one `AIUsage` row and one metrics sample per attempt,
and the per-user daily request limit.

Rows are written in the caller's transaction. Call the gateway outside `atomic` blocks (a model
call should not hold a transaction open anyway), or a rollback also forgets the spend.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.utils import timezone

from studymate_api.core.models import AIUsage
from studymate_api.core.retention import delete_in_batches

from .config import gateway_config, model_price
from .errors import ERROR_MESSAGE_LIMIT, AIThrottled

_MILLION = Decimal(1_000_000)
_COST_QUANTUM = Decimal("0.00000001")


@dataclass(frozen=True)
class Attempt:
    """One call to one provider (or a refusal before any), as accounted."""

    request_id: UUID
    user: AbstractBaseUser | None
    task: str
    provider: str
    model: str
    outcome: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: int = 0
    streamed: bool = False
    error: str = ""

    @property
    def cost_usd(self) -> Decimal:
        return cost_usd(self.model, self.prompt_tokens, self.completion_tokens)


def cost_usd(model: str, prompt_tokens: int, completion_tokens: int) -> Decimal:
    if not model or not (prompt_tokens or completion_tokens):
        return Decimal(0)
    input_price, output_price = model_price(model)
    cost = (input_price * prompt_tokens + output_price * completion_tokens) / _MILLION
    return cost.quantize(_COST_QUANTUM, rounding=ROUND_HALF_UP)


def record_attempt(attempt: Attempt) -> None:
    cost = attempt.cost_usd
    AIUsage.objects.create(
        user_id=attempt.user.pk if attempt.user is not None else None,
        request_id=attempt.request_id,
        task=attempt.task,
        provider=attempt.provider,
        model=attempt.model,
        prompt_tokens=attempt.prompt_tokens,
        completion_tokens=attempt.completion_tokens,
        cost_usd=cost,
        latency_ms=attempt.latency_ms,
        outcome=attempt.outcome,
        streamed=attempt.streamed,
        error=attempt.error[:ERROR_MESSAGE_LIMIT],
    )
    _record_metrics(attempt, cost)


def _record_metrics(attempt: Attempt, cost: Decimal) -> None:
    # Imported here: the metrics package is another team's and loads Celery machinery.
    from studymate_api.metrics import record_ai_call

    # Metrics describe the call itself: an answer that came by fallback is a successful call.
    outcome = "success" if attempt.outcome == AIUsage.Outcome.FALLBACK else attempt.outcome
    record_ai_call(
        attempt.provider or "none",
        attempt.model or "none",
        attempt.prompt_tokens,
        attempt.completion_tokens,
        cost,
        attempt.latency_ms / 1000,
        outcome,
    )


def _start_of_day(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def requests_today(user: AbstractBaseUser) -> int:
    """Distinct requests of the user since 00:00 UTC that reached a provider (rejections do not
    count: a refused request costs nothing)."""
    return (
        AIUsage.objects.filter(user_id=user.pk, created_at__gte=_start_of_day(timezone.now()))
        .exclude(outcome=AIUsage.Outcome.REJECTED)
        .values("request_id")
        .distinct()
        .count()
    )


def check_daily_limit(user: AbstractBaseUser | None) -> None:
    """Raise `AIThrottled` if the user has used up today's requests. Concurrent requests may
    each pass the check at the limit's edge: the limit is a cost guard, not a ledger."""
    limit = gateway_config().daily_request_limit
    if not limit or user is None or requests_today(user) < limit:
        return
    now = timezone.now()
    retry_after = _start_of_day(now) + timedelta(days=1) - now
    raise AIThrottled(headers={"Retry-After": str(int(retry_after.total_seconds()) + 1)})


def ai_usage_purge(*, batch_size: int = 5000, max_batches: int = 20) -> int:
    """Retention: deletes usage rows older than AI_USAGE_RETENTION_DAYS, bounded per run;
    returns how many. Every reader looks back less far: the daily limit reads today, the
    business report at most 365 days, the data export what is left; credits are spent in the
    credit ledger, not here. So rows are deleted, not aggregated first."""
    keep = timedelta(days=settings.AI_USAGE_RETENTION_DAYS)
    old = AIUsage.objects.filter(created_at__lt=timezone.now() - keep)
    return delete_in_batches(old, batch_size=batch_size, max_batches=max_batches)
