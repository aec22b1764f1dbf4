"""Reads for operators: the activity stream's state and live analytics figures."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db.models import Avg, Count, Q
from django.utils import timezone

from studymate_api.streaming import StreamStatus, get_stream_processor, merged_status

from ..models import LearningSession, SessionStatus
from ..streams import ACTIVITY_STREAM, ANALYZER_GROUP, activity_streams


def activity_status() -> StreamStatus:
    """The activity stream, its partitions summed (503 when Redis is down)."""
    processor = get_stream_processor()
    return merged_status(ACTIVITY_STREAM, [processor.status(s) for s in activity_streams()])


def streaming_status() -> dict[str, Any]:
    """The activity stream as the stream processor reports it (503 when Redis is down)."""
    status = activity_status()
    return {
        **status.as_dict(),
        "partitions": settings.STREAM_PARTITIONS,
        "analyzer_group": ANALYZER_GROUP,
        "analyzer_in_process": settings.REALTIME_ANALYZER_IN_PROCESS,
    }


def streaming_metrics() -> dict[str, Any]:
    """Throughput and backlog of the analyzer, and today's sessions."""
    status = activity_status()
    group = status.group(ANALYZER_GROUP)
    since = timezone.now() - datetime.timedelta(hours=24)
    sessions = LearningSession.objects.aggregate(
        active=Count("id", filter=Q(status=SessionStatus.ACTIVE)),
        ended_24h=Count("id", filter=Q(status=SessionStatus.ENDED, ended_at__gte=since)),
        focus_24h=Avg("focus_score", filter=Q(status=SessionStatus.ENDED, ended_at__gte=since)),
    )
    return {
        "stream": ACTIVITY_STREAM,
        "backend": status.backend,
        "events_per_second": round(group.throughput, 2) if group else 0.0,
        "lag": group.lag if group else 0,
        "pending": group.pending if group else 0,
        "dead_letters": status.dead_letters,
        "consumers": len(group.consumers) if group else 0,
        "active_sessions": sessions["active"],
        "sessions_ended_24h": sessions["ended_24h"],
        "average_focus_score_24h": (
            None if sessions["focus_24h"] is None else round(sessions["focus_24h"], 1)
        ),
    }
