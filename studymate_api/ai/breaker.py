"""A circuit breaker per provider, its state in the Django cache so every process agrees.

Closed: calls go through; each failed call adds to a counter of consecutive failures, a
success clears it. At the threshold the circuit opens: calls are refused for the cool-down.
After it, the circuit is half-open: one caller (whichever wins a cache `add`) may probe; its
success closes the circuit, its failure opens it for another cool-down, and the others keep
being refused meanwhile.

Timestamps are wall-clock (`time.time`), the only clock processes share. If the cache itself
fails, the breaker lets calls through: it protects the providers, it must not become the outage.
"""

from __future__ import annotations

import math
import time
from typing import Literal

import structlog
from django.core.cache import cache

from .config import gateway_config

logger = structlog.get_logger(__name__)

State = Literal["closed", "open", "half_open"]

# Failures further apart than this are not an outage: the counter starts over.
FAILURE_WINDOW = 600
# How long the "opened until" mark is kept: long enough to still know, after the cool-down, that
# the next call is a probe.
OPEN_MARK_TTL = 24 * 3600


class CircuitBreaker:
    def __init__(self, provider: str) -> None:
        config = gateway_config()
        self.provider = provider
        self.threshold = config.breaker_threshold
        self.cooldown = config.breaker_cooldown
        prefix = f"ai:breaker:{provider}"
        self._failures, self._open_until, self._probe = (
            f"{prefix}:failures",
            f"{prefix}:open_until",
            f"{prefix}:probe",
        )

    def state(self) -> State:
        open_until = self._get_open_until()
        if open_until is None:
            return "closed"
        return "open" if time.time() < open_until else "half_open"

    def allow(self) -> bool:
        try:
            open_until = self._get_open_until()
            if open_until is None:
                return True
            if time.time() < open_until:
                return False
            # The probe mark expires after a cool-down, so a prober that died is replaced.
            return bool(cache.add(self._probe, 1, timeout=math.ceil(self.cooldown)))
        except Exception:
            logger.exception("ai_breaker_cache_failed", provider=self.provider)
            return True

    def record_success(self) -> None:
        try:
            cache.delete_many([self._failures, self._open_until, self._probe])
        except Exception:
            logger.exception("ai_breaker_cache_failed", provider=self.provider)

    def record_failure(self) -> None:
        try:
            failures = self._count_failure()
            # Failing while the mark exists means the half-open probe failed.
            if failures >= self.threshold or self._get_open_until() is not None:
                self._open()
        except Exception:
            logger.exception("ai_breaker_cache_failed", provider=self.provider)

    def _count_failure(self) -> int:
        cache.add(self._failures, 0, timeout=FAILURE_WINDOW)
        try:
            return int(cache.incr(self._failures))
        except ValueError:  # expired between add and incr
            cache.set(self._failures, 1, timeout=FAILURE_WINDOW)
            return 1

    def _open(self) -> None:
        cache.set(self._open_until, time.time() + self.cooldown, timeout=OPEN_MARK_TTL)
        cache.delete(self._probe)
        logger.warning("ai_breaker_opened", provider=self.provider, cooldown=self.cooldown)

    def _get_open_until(self) -> float | None:
        value = cache.get(self._open_until)
        return float(value) if value is not None else None
