"""Names of the realtime domain's event streams (studymate_api.streaming)."""

from __future__ import annotations

from typing import Final

from django.conf import settings

from studymate_api.streaming import partition_of, partition_stream, partition_streams

# Activity events of live learning sessions, and the clock ticks: one logical stream split by
# learner into STREAM_PARTITIONS Redis streams, so each learner's events stay in order while
# any number of `stream` processes share the partitions (studymate_api.streaming.partitions).
ACTIVITY_STREAM: Final = "learning.activity"
ANALYZER_GROUP: Final = "analyzer"


def activity_stream_for(user_id: int) -> str:
    """The partition of the learner's activity."""
    return partition_stream(ACTIVITY_STREAM, partition_of(user_id, settings.STREAM_PARTITIONS))


def activity_streams() -> list[str]:
    return partition_streams(ACTIVITY_STREAM, settings.STREAM_PARTITIONS)
