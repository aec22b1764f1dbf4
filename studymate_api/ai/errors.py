"""Errors of the AI gateway.

Callers see `AIError` subclasses (application errors with a code and HTTP status) and
`studymate_api.core.errors.InsufficientCredits` from the credit hook. `ProviderError` never
leaves the gateway: it is how a provider reports one failed call, classified so the router knows
whether to retry, fall back or stop.
"""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from studymate_api.core.errors import ApplicationError, ErrorCode, InsufficientCredits

ERROR_MESSAGE_LIMIT = 500


class AIError(ApplicationError):
    code = ErrorCode.AI_ERROR
    http_status = 502
    default_message = _("The AI service could not complete the request.")


class AIThrottled(AIError):
    code = ErrorCode.THROTTLED
    http_status = 429
    default_message = _("Daily AI request limit reached. Try again tomorrow.")


class AIUnavailable(AIError):
    code = ErrorCode.AI_UNAVAILABLE
    http_status = 503
    default_message = _("The AI service is temporarily unavailable. Try again later.")


class AIRequestRejected(AIError):
    """A provider refused the request itself as invalid (HTTP 400/422): another provider or a
    retry would refuse it too, so the gateway stops."""

    code = ErrorCode.AI_REQUEST_REJECTED
    http_status = 422
    default_message = _("The AI service could not process this content.")


class AIOutputInvalid(AIError):
    """No provider produced output matching the task's schema, a repair included."""

    code = ErrorCode.AI_OUTPUT_INVALID
    http_status = 502
    default_message = _("The AI service returned an unusable answer. Try again later.")


# What a caller of `generate` can see, for the views that document it (`raises(*...)`).
GENERATION_ERRORS: tuple[type[ApplicationError], ...] = (
    InsufficientCredits,
    AIThrottled,
    AIRequestRejected,
    AIOutputInvalid,
    AIUnavailable,
)


class FailureKind(StrEnum):
    # Retried on the same provider (with backoff), then the next provider.
    UNAVAILABLE = "unavailable"  # 5xx, 408/409, connection errors
    # Straight to the next provider: retrying here would only make the learner wait longer.
    TIMEOUT = "timeout"
    RATE_LIMITED = "rate_limited"  # 429
    MISCONFIGURED = "misconfigured"  # 401/402/403/404: our key or model name, not the content
    CIRCUIT_OPEN = "circuit_open"
    # Repaired once on the same provider, then the next provider.
    INVALID_OUTPUT = "invalid_output"
    # The request is at fault (400, 413, 422...): nobody is asked again.
    INVALID_REQUEST = "invalid_request"


class ProviderError(Exception):
    def __init__(self, kind: FailureKind, message: str, *, status: int | None = None) -> None:
        self.kind = kind
        self.status = status
        self.message = message[:ERROR_MESSAGE_LIMIT]
        super().__init__(self.message)

    @property
    def retryable(self) -> bool:
        return self.kind is FailureKind.UNAVAILABLE

    @property
    def counts_against_provider(self) -> bool:
        """Whether the circuit breaker counts it: the provider (or our account with it) is
        failing, as opposed to the content or the answer."""
        return self.kind in {
            FailureKind.UNAVAILABLE,
            FailureKind.TIMEOUT,
            FailureKind.RATE_LIMITED,
            FailureKind.MISCONFIGURED,
        }


def kind_for_status(status: int) -> FailureKind:
    if status == 429:
        return FailureKind.RATE_LIMITED
    if status >= 500 or status in {408, 409}:
        return FailureKind.UNAVAILABLE
    if status in {401, 402, 403, 404}:
        return FailureKind.MISCONFIGURED
    return FailureKind.INVALID_REQUEST
