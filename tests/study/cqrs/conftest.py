"""Helpers of the `/api/cqrs/` tests: the paths, and the event store as the tests read it."""

from __future__ import annotations

from typing import Any

from studymate_api.core.models import DomainEvent

SUBJECTS = "/api/cqrs/subjects/"
SUMMARIES = "/api/cqrs/study-summaries/"
PROGRESS = "/api/cqrs/study-progress/"
ANALYTICS = "/api/cqrs/study-analytics/"


def generate_url(subject_id: int) -> str:
    return f"{SUBJECTS}{subject_id}/generate_summary/"


def stream(aggregate_type: str, aggregate_id: int) -> list[tuple[str, int]]:
    """`[(event_type, sequence), ...]` of one aggregate, in order."""
    events = DomainEvent.objects.filter(aggregate_type=aggregate_type, aggregate_id=aggregate_id)
    return [(e.event_type, e.sequence) for e in events.order_by("sequence")]


def unpublished() -> list[Any]:
    return list(DomainEvent.objects.filter(published_at__isnull=True).values_list("event_type"))
