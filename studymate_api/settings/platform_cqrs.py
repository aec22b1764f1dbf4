"""Settings of studymate_api.cqrs."""

from __future__ import annotations

CQRS_BEAT_SCHEDULE: dict[str, dict[str, object]] = {}
