"""Redis unreachable: publishing fails with a 503-style error, a consumer loop waits it out."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from prometheus_client import REGISTRY

from studymate_api.streaming import (
    RedisStreamBackend,
    StreamConfig,
    StreamProcessor,
    StreamUnavailable,
)
from tests.platform.streaming.conftest import MakeProcessor, Recorder


@pytest.fixture
def unreachable_processor() -> StreamProcessor:
    """A processor whose Redis URL points at a loopback port where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    backend = RedisStreamBackend.from_url(
        f"redis://127.0.0.1:{port}/0", key_prefix="test:down:", block_ms=20
    )
    return StreamProcessor(StreamConfig(block_ms=20), backend=backend)


def test_publish_fails_with_stream_unavailable(unreachable_processor: StreamProcessor):
    with pytest.raises(StreamUnavailable) as failure:
        unreachable_processor.publish("activity", {"n": 1})

    assert (failure.value.code, failure.value.http_status) == ("stream_unavailable", 503)


def test_consumer_loop_waits_out_an_outage(unreachable_processor: StreamProcessor):
    unreachable_processor.register_handler("activity", "analyzer", Recorder())
    before = _unavailable_count()

    totals = unreachable_processor.run("activity", "analyzer", "c1", max_batches=2)

    assert (totals.cycles, totals.processed) == (2, 0)
    assert _unavailable_count() == before + 2


def test_stop_event_interrupts_an_idle_loop_within_the_block_time(make_processor: MakeProcessor):
    processor = make_processor(block_ms=200)
    processor.register_handler("activity", "analyzer", Recorder())
    stop = threading.Event()
    threading.Timer(0.05, stop.set).start()

    started = time.monotonic()
    processor.run("activity", "analyzer", "c1", stop_event=stop)

    assert time.monotonic() - started < 0.2 + 0.5


def _unavailable_count() -> float:
    value = REGISTRY.get_sample_value(
        "studymate_stream_unavailable_total", {"operation": "process"}
    )
    return value or 0.0
