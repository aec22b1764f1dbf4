"""What the buses and the outbox did: Prometheus metrics plus a process-local summary.

The Prometheus objects live in the default registry (exported at /metrics/). The summary is what
`cqrs_management --stats` prints; it covers this process only.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from prometheus_client import Counter, Histogram

__all__ = ["HandlerTiming", "bus_stats"]

MESSAGES = Counter(
    "studymate_cqrs_messages",
    "Commands and queries dispatched, by outcome (ok, rejected: an ApplicationError, error).",
    ("kind", "message", "outcome"),
)
HANDLER_SECONDS = Histogram(
    "studymate_cqrs_handler_duration_seconds",
    "Time to dispatch a command or query through its middleware and handler.",
    ("kind", "message"),
)
EVENTS_RECORDED = Counter(
    "studymate_cqrs_events_recorded",
    "Domain events appended to the store (counted before commit).",
    ("event_type",),
)
APPEND_RETRIES = Counter(
    "studymate_cqrs_append_retries",
    "Appends that lost the race for a sequence number and tried again.",
)
DELIVERIES = Counter(
    "studymate_cqrs_deliveries",
    "Event deliveries to subscribers, by outcome (ok, failed, deferred).",
    ("subscriber", "outcome"),
)


@dataclass
class HandlerTiming:
    count: int = 0
    failed: int = 0
    total_seconds: float = 0.0
    max_seconds: float = 0.0

    @property
    def mean_seconds(self) -> float:
        return self.total_seconds / self.count if self.count else 0.0


class BusStats:
    """Counts and timings per (kind, message name) in this process. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._timings: dict[tuple[str, str], HandlerTiming] = {}

    def observe(self, kind: str, message: str, seconds: float, *, outcome: str) -> None:
        MESSAGES.labels(kind, message, outcome).inc()
        HANDLER_SECONDS.labels(kind, message).observe(seconds)
        with self._lock:
            timing = self._timings.setdefault((kind, message), HandlerTiming())
            timing.count += 1
            timing.failed += outcome != "ok"
            timing.total_seconds += seconds
            timing.max_seconds = max(timing.max_seconds, seconds)

    def snapshot(self, kind: str) -> dict[str, HandlerTiming]:
        with self._lock:
            return {
                message: HandlerTiming(**vars(timing))
                for (timing_kind, message), timing in sorted(self._timings.items())
                if timing_kind == kind
            }

    def reset(self) -> None:
        with self._lock:
            self._timings.clear()


bus_stats = BusStats()
