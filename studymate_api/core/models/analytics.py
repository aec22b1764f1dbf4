"""Metric aggregates flushed from tracked events (owned by studymate_api.metrics)."""
