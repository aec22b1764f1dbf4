"""SmartCacheStrategy: how long a namespace's values live and when one should be recomputed.

The strategy is policy only (numbers and pure decisions); TaggedCache applies it. Per value the
timeline is:

    stored ── fresh (ttl) ──┬── stale (grace) ──┬── gone
                            │                   └ the backend drops it (storage timeout)
                            └ one caller recomputes under a lock, everyone else is served stale

Near the end of the fresh window, XFetch (Vattani et al., "Optimal Probabilistic Cache Stampede
Prevention") lets one caller refresh early with a probability that grows as expiry approaches
and with how long the value took to compute, so hot keys rarely expire at all.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import random
import time
from collections.abc import Callable

from django.conf import settings


class Freshness(enum.Enum):
    FRESH = "fresh"
    REFRESH_EARLY = "refresh_early"  # still fresh; this caller was picked to refresh it ahead
    STALE = "stale"  # past its TTL, inside the grace window: servable while one caller refreshes
    EXPIRED = "expired"


@dataclasses.dataclass(frozen=True)
class SmartCacheStrategy:
    ttl: float
    stale_grace: float = 0.0
    lock_timeout: float = 30.0
    lock_wait: float = 2.0
    early_refresh_beta: float = 1.0
    # Wall-clock time: freshness deadlines are compared across processes and hosts.
    clock: Callable[[], float] = dataclasses.field(default=time.time, compare=False)

    def __post_init__(self) -> None:
        if self.ttl <= 0:
            raise ValueError("a cache TTL must be positive")
        if min(self.stale_grace, self.lock_wait, self.early_refresh_beta) < 0:
            raise ValueError("stale_grace, lock_wait and early_refresh_beta must not be negative")
        if self.lock_timeout <= 0:
            raise ValueError("lock_timeout must be positive")

    @classmethod
    def for_namespace(cls, namespace: str) -> SmartCacheStrategy:
        """The strategy configured in settings (CACHE_NAMESPACE_TTLS and friends)."""
        return cls(
            ttl=settings.CACHE_NAMESPACE_TTLS.get(namespace, settings.CACHE_DEFAULT_TTL),
            stale_grace=settings.CACHE_NAMESPACE_STALE_GRACE.get(namespace, 0),
            lock_timeout=settings.CACHE_LOCK_TIMEOUT,
            lock_wait=settings.CACHE_LOCK_WAIT,
            early_refresh_beta=settings.CACHE_EARLY_REFRESH_BETA,
        )

    def storage_timeout(self, ttl: float) -> float:
        """How long the backend keeps a value: its TTL plus the window it may be served stale."""
        return ttl + self.stale_grace

    def judge(self, *, fresh_until: float, compute_seconds: float) -> Freshness:
        now = self.clock()
        if now >= fresh_until:
            return Freshness.STALE if now < fresh_until + self.stale_grace else Freshness.EXPIRED
        if self._refresh_early(now, fresh_until, compute_seconds):
            return Freshness.REFRESH_EARLY
        return Freshness.FRESH

    def _refresh_early(self, now: float, fresh_until: float, compute_seconds: float) -> bool:
        if self.early_refresh_beta == 0 or compute_seconds <= 0:
            return False
        # 1 - random() lies in (0, 1], so the log is finite; the gap is how far ahead of expiry
        # this caller "sees", long for slow computes and rarely long for fast ones.
        draw = 1.0 - random.random()  # noqa: S311 - a scheduling draw, not a secret
        ahead = -compute_seconds * self.early_refresh_beta * math.log(draw)
        return now + ahead >= fresh_until
