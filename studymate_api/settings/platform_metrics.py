"""Settings of studymate_api.metrics."""

from __future__ import annotations

METRICS_BEAT_SCHEDULE: dict[str, dict[str, object]] = {}
