"""Settings of studymate_api.streaming."""

from __future__ import annotations

STREAMING_BEAT_SCHEDULE: dict[str, dict[str, object]] = {}
