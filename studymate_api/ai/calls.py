"""The state of one `generate` call while it runs: what it asked for, where it may go, and the
running totals of what its attempts spent."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.base_user import AbstractBaseUser

from studymate_api.core.models import AIUsage

from .accounting import Attempt, record_attempt
from .catalog import TaskSpec
from .contracts import AIResult, AITask, Completion, PromptParts, ProviderRequest, UsageSummary
from .outputs import Output


@dataclass
class AICall:
    task: AITask
    spec: TaskSpec
    parts: PromptParts
    user: AbstractBaseUser | None
    route: list[str]
    # Characters of output kept and returned.
    limit: int
    request: ProviderRequest
    streamed: bool = False
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    attempts: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: Decimal = Decimal(0)
    started: float = field(default_factory=time.monotonic)

    def account(
        self,
        provider: str,
        model: str,
        outcome: str,
        *,
        completion: Completion | None = None,
        latency_ms: int = 0,
        error: str = "",
    ) -> None:
        """Record one attempt (an `AIUsage` row and a metrics sample) and add up its spend."""
        attempt = Attempt(
            request_id=self.id,
            user=self.user,
            task=str(self.task),
            provider=provider,
            model=model,
            outcome=outcome,
            prompt_tokens=completion.prompt_tokens if completion else 0,
            completion_tokens=completion.completion_tokens if completion else 0,
            latency_ms=completion.latency_ms if completion else latency_ms,
            streamed=self.streamed,
            error=error,
        )
        record_attempt(attempt)
        if outcome != AIUsage.Outcome.REJECTED:
            self.attempts += 1
        self.prompt_tokens += attempt.prompt_tokens
        self.completion_tokens += attempt.completion_tokens
        self.cost_usd += attempt.cost_usd

    def reject(self, reason: str) -> None:
        """Record that the request was refused before any provider was called."""
        self.account("", "", AIUsage.Outcome.REJECTED, error=reason)

    def usage(self, *, succeeded: bool, provider: str = "", model: str = "") -> UsageSummary:
        return UsageSummary(
            request_id=self.id,
            task=self.task,
            succeeded=succeeded,
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            cost_usd=self.cost_usd,
            provider=provider,
            model=model,
        )

    def result(
        self, provider: str, completion: Completion, output: Output, *, fallback: bool
    ) -> AIResult:
        return AIResult(
            task=self.task,
            text=output.text,
            data=output.data,
            provider=provider,
            model=completion.model,
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            cost_usd=self.cost_usd,
            latency_ms=round((time.monotonic() - self.started) * 1000),
            request_id=self.id,
            attempts=self.attempts,
            fallback=fallback,
            truncated=output.truncated,
        )
