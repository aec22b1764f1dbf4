"""What a channel sender is and how it reports the outcome of one send."""

from __future__ import annotations

from typing import Any, Protocol

from ..models import DeliveryAttempt


class Skip(Exception):
    """Nothing to send over this channel (not configured, no address, no device)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TemporaryFailure(Exception):
    """Worth retrying later (timeouts, 429, 5xx). `detail` keeps what already succeeded."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.detail = detail or {}


class PermanentFailure(Exception):
    """Retrying would fail the same way (a refused address, a rejected message)."""

    def __init__(self, message: str, *, detail: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.detail = detail or {}


class Sender(Protocol):
    def send(self, delivery: DeliveryAttempt) -> dict[str, Any]:
        """Send `delivery.detail["content"]` to `delivery.notification.user`; return what the
        provider answered, or raise Skip / TemporaryFailure / PermanentFailure."""
        ...


def retry_after_seconds(value: str | None) -> float | None:
    """A `Retry-After` header in seconds (the HTTP-date form is rare from these APIs)."""
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None
