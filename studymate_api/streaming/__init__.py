"""Event streaming: StreamProcessor over Redis Streams consumer groups (in-process when embedded).

    processor = get_stream_processor()
    processor.register_handler("learning.activity", "analyzer", handle_activity_batch)
    processor.publish("learning.activity", {"session": 7, "kind": "answer"})
    processor.run("learning.activity", "analyzer", "worker-1", stop_event=stop)

See `processor` for the delivery contract (at least once; retries; dead letters; reclaim), and
`partitions` for a stream split by key over any number of processes (`PartitionedConsumer`).
"""

from __future__ import annotations

from .backend import StreamBackend
from .config import StreamConfig
from .handlers import Handler, each_message
from .memory import InMemoryStreamBackend
from .partitions import (
    AllPartitions,
    Leases,
    PartitionedConsumer,
    PartitionLost,
    RedisLeases,
    leases_for,
    merged_status,
    partition_of,
    partition_stream,
    partition_streams,
)
from .processor import StreamProcessor, build_backend
from .records import (
    ConsumerStatus,
    DeadLetter,
    GroupStatus,
    ProcessingStats,
    StreamMessage,
    StreamStatus,
    StreamUnavailable,
)
from .redis_streams import RedisStreamBackend
from .runtime import get_stream_processor, install_stop_signals

__all__ = [
    "AllPartitions",
    "ConsumerStatus",
    "DeadLetter",
    "GroupStatus",
    "Handler",
    "InMemoryStreamBackend",
    "Leases",
    "PartitionLost",
    "PartitionedConsumer",
    "ProcessingStats",
    "RedisLeases",
    "RedisStreamBackend",
    "StreamBackend",
    "StreamConfig",
    "StreamMessage",
    "StreamProcessor",
    "StreamStatus",
    "StreamUnavailable",
    "build_backend",
    "each_message",
    "get_stream_processor",
    "install_stop_signals",
    "leases_for",
    "merged_status",
    "partition_of",
    "partition_stream",
    "partition_streams",
]
