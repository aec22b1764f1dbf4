"""What the event store and the outbox did: Prometheus metrics (exported at /metrics/)."""

from __future__ import annotations

from prometheus_client import Counter

__all__ = ["APPEND_RETRIES", "DELIVERIES", "EVENTS_RECORDED"]

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
