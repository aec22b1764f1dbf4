"""Calling one provider: the circuit breaker first, then the call, accounted whatever happens,
retried with exponential backoff (and jitter) only after errors a retry can fix (5xx,
connection errors). Timeouts and rate limits are not retried on the same provider: the learner
is waiting, and the next provider answers sooner than a backoff would."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TypeVar

import structlog
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from studymate_api.core.models import AIUsage

from .breaker import CircuitBreaker
from .calls import AICall
from .config import LOCAL, gateway_config
from .contracts import Completion, ProviderRequest, TextStream
from .errors import FailureKind, ProviderError
from .providers import Provider

logger = structlog.get_logger(__name__)

R = TypeVar("R")

_OUTCOMES = {
    FailureKind.TIMEOUT: AIUsage.Outcome.TIMEOUT,
    FailureKind.RATE_LIMITED: AIUsage.Outcome.RATE_LIMITED,
    FailureKind.CIRCUIT_OPEN: AIUsage.Outcome.REJECTED,
}


def outcome_of(error: ProviderError) -> str:
    return _OUTCOMES.get(error.kind, AIUsage.Outcome.ERROR)


def unexpected(provider: str, error: Exception) -> ProviderError:
    """An exception no provider should raise (a bug, an SDK surprise): this provider failed,
    the next one may still answer."""
    logger.exception("ai_provider_unexpected_error", provider=provider)
    return ProviderError(FailureKind.UNAVAILABLE, f"unexpected {type(error).__name__}: {error}")


def _retryable(error: BaseException) -> bool:
    return isinstance(error, ProviderError) and error.retryable


def with_retries(call: Callable[[], R]) -> R:
    config = gateway_config()
    retrying = Retrying(
        stop=stop_after_attempt(config.max_attempts),
        wait=wait_exponential_jitter(
            multiplier=config.backoff, max=config.backoff_max, jitter=config.backoff
        ),
        retry=retry_if_exception(_retryable),
        reraise=True,
    )
    return retrying(call)


@dataclass
class Guard:
    """The breaker of one provider (none for local: if the built-in provider fails, that is a
    bug to see, not an outage to route around) and the clock of one attempt."""

    call: AICall
    provider: Provider
    started: float = 0.0

    def __post_init__(self) -> None:
        self.breaker = CircuitBreaker(self.provider.name) if self.provider.name != LOCAL else None

    def enter(self) -> None:
        if self.breaker is not None and not self.breaker.allow():
            error = ProviderError(FailureKind.CIRCUIT_OPEN, "circuit breaker open")
            self.call.account(
                self.provider.name, self.provider.model, outcome_of(error), error=error.message
            )
            raise error
        self.started = time.monotonic()

    def elapsed_ms(self) -> int:
        return round((time.monotonic() - self.started) * 1000)

    def succeeded(self, completion: Completion) -> Completion:
        if self.breaker is not None:
            self.breaker.record_success()
        return replace(completion, latency_ms=self.elapsed_ms())

    def failed(self, error: ProviderError, completion: Completion | None = None) -> None:
        if self.breaker is not None:
            # A refused request shows the provider is up: it breaks no run of failures.
            if error.counts_against_provider:
                self.breaker.record_failure()
            else:
                self.breaker.record_success()
        if completion is not None:
            completion = replace(completion, latency_ms=self.elapsed_ms())
        self.call.account(
            self.provider.name,
            self.provider.model,
            outcome_of(error),
            completion=completion,
            latency_ms=self.elapsed_ms(),
            error=error.message,
        )


def complete(call: AICall, provider: Provider, request: ProviderRequest) -> Completion:
    """One answer from the provider, retries included; the caller accounts the success once it
    has checked the output."""

    def attempt() -> Completion:
        guard = Guard(call, provider)
        guard.enter()
        try:
            completion = provider.complete(request)
        except ProviderError as error:
            guard.failed(error)
            raise
        except Exception as error:
            failure = unexpected(provider.name, error)
            guard.failed(failure)
            raise failure from error
        return guard.succeeded(completion)

    return with_retries(attempt)


def open_stream(call: AICall, provider: Provider) -> tuple[Guard, TextStream]:
    """The provider's stream, opened (retries included) up to its first byte."""

    def attempt() -> tuple[Guard, TextStream]:
        guard = Guard(call, provider)
        guard.enter()
        try:
            return guard, provider.open_stream(call.request)
        except ProviderError as error:
            guard.failed(error)
            raise
        except Exception as error:
            failure = unexpected(provider.name, error)
            guard.failed(failure)
            raise failure from error

    return with_retries(attempt)
