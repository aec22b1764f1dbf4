"""Prometheus metrics of the stream processor, on the default registry that /metrics/ exposes."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

PUBLISHED = Counter("studymate_stream_published", "Events published.", ["stream"])
PROCESSED = Counter(
    "studymate_stream_processed", "Messages handled and acknowledged.", ["stream", "group"]
)
FAILED = Counter(
    "studymate_stream_failed",
    "Messages whose handler failed (left for a retry).",
    ["stream", "group"],
)
DEAD_LETTERED = Counter(
    "studymate_stream_dead_lettered",
    "Messages moved to the dead-letter stream.",
    ["stream", "group"],
)
RECLAIMED = Counter(
    "studymate_stream_reclaimed",
    "Messages taken over from a consumer that held them too long.",
    ["stream", "group"],
)
UNAVAILABLE = Counter(
    "studymate_stream_unavailable", "Stream store calls that failed to connect.", ["operation"]
)
BATCH_SECONDS = Histogram(
    "studymate_stream_batch_seconds",
    "Time the handlers took for one batch.",
    ["stream", "group"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
# Set whenever a status is read (the monitoring snapshot reads it every few seconds).
LENGTH = Gauge("studymate_stream_length", "Entries in the stream.", ["stream"])
LAG = Gauge("studymate_stream_lag", "Entries not yet handed to the group.", ["stream", "group"])
PENDING = Gauge(
    "studymate_stream_pending", "Messages handed out, not acknowledged.", ["stream", "group"]
)
