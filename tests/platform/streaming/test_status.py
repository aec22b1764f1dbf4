"""Bounded streams and the status figures: length, lag, pending, dead letters, throughput."""

from __future__ import annotations

import time

import pytest

from studymate_api.streaming import StreamStatus
from tests.platform.streaming.conftest import MakeProcessor, Recorder

# Redis trims whole macro nodes (MAXLEN ~): up to one node more than the bound may remain.
NODE_ENTRIES = 100


def test_stream_length_stays_bounded(make_processor: MakeProcessor):
    processor = make_processor(max_length=50)

    for start in range(0, 1000, 100):
        processor.publish_many("activity", [{"n": n} for n in range(start, start + 100)])

    length = processor.status("activity").length
    assert 50 <= length < 50 + NODE_ENTRIES


def test_dead_letter_stream_is_bounded_too(make_processor: MakeProcessor):
    processor = make_processor(max_length=5, max_deliveries=1, batch_size=50)
    processor.register_handler("activity", "analyzer", Recorder(fail_on=set(range(300))))
    processor.publish_many("activity", [{"n": n} for n in range(300)])
    for _ in range(10):
        processor.process_once("activity", "analyzer", "c1")

    status = processor.status("activity")
    group = status.group("analyzer")
    assert group is not None
    assert status.dead_letters < 5 + NODE_ENTRIES
    assert group.dead_letters >= 5  # the count of dead letters ever is not trimmed


def test_status_reports_lag_pending_and_dead_letters(make_processor: MakeProcessor):
    processor = make_processor(batch_size=4, max_deliveries=2)
    processor.register_handler("activity", "analyzer", Recorder(fail_on={0}))
    processor.ensure_group("activity", "analyzer")
    processor.publish_many("activity", [{"n": n} for n in range(10)])

    before = _group(processor.status("activity"))
    processor.process_once("activity", "analyzer", "c1")  # 0-3 fail together
    after_failure = _group(processor.status("activity"))
    processor.process_once("activity", "analyzer", "c1")  # retried alone: 1-3 pass, 0 dies

    status = processor.status("activity")
    group = _group(status)
    assert (before.lag, before.pending, before.consumers) == (10, 0, ())
    assert (after_failure.lag, after_failure.pending) == (6, 4)
    assert [(c.name, c.pending) for c in after_failure.consumers] == [("c1", 4)]
    assert (status.length, status.dead_letters) == (10, 1)
    assert (group.lag, group.pending, group.dead_letters) == (6, 0, 1)
    assert group.throughput > 0
    assert status.as_dict()["groups"][0]["lag"] == 6


def test_throughput_counts_processed_messages_per_second(make_processor: MakeProcessor):
    processor = make_processor(batch_size=100)
    processor.register_handler("activity", "analyzer", Recorder())
    processor.publish_many("activity", [{"n": n} for n in range(120)])
    processor.process_once("activity", "analyzer", "c1")
    processor.process_once("activity", "analyzer", "c1")

    group = _group(processor.status("activity"))

    # 120 messages within the last minute (the window is 60 to 65 seconds long).
    assert 120 / 65 <= group.throughput <= 120 / 60


def test_lag_counts_only_entries_still_in_the_stream(make_processor: MakeProcessor):
    processor = make_processor(max_length=10)
    processor.ensure_group("activity", "analyzer")
    processor.publish_many("activity", [{"n": n} for n in range(500)])

    status = processor.status("activity")

    assert _group(status).lag == status.length


def test_status_of_an_unknown_stream_is_empty(make_processor: MakeProcessor):
    status = make_processor().status("nothing-here")

    assert (status.length, status.dead_letters, status.groups) == (0, 0, ())


def test_status_all_covers_streams_with_handlers(make_processor: MakeProcessor):
    processor = make_processor()
    processor.register_handler("activity", "analyzer", Recorder())
    processor.register_handler("activity", "archive", Recorder())
    processor.register_handler("rooms", "presence", Recorder())
    processor.publish("rooms", {"n": 1})

    statuses = processor.status_all()

    assert [status.stream for status in statuses] == ["activity", "rooms"]
    assert statuses[1].length == 1


def test_pending_message_trimmed_away_is_dropped_on_reclaim(make_processor: MakeProcessor):
    processor = make_processor(max_length=10, claim_idle_ms=50)
    recorder = Recorder()
    processor.register_handler("activity", "analyzer", recorder)
    processor.ensure_group("activity", "analyzer")
    processor.publish("activity", {"n": "lost"})
    processor.backend.read_new("activity", "analyzer", "gone", count=1, block_ms=0)
    processor.publish_many("activity", [{"n": n} for n in range(300)])  # trims "lost" away
    time.sleep(0.1)

    for _ in range(5):
        processor.process_once("activity", "analyzer", "c1")

    assert "lost" not in recorder.seen
    assert _group(processor.status("activity")).pending == 0


@pytest.mark.parametrize("backend_kind", ["redis"])
def test_redis_keys_live_under_the_prefix(make_processor, redis_client, key_prefix):
    processor = make_processor(max_deliveries=1)
    processor.register_handler("activity", "analyzer", Recorder(fail_on={1}))
    processor.publish_many("activity", [{"n": 1}, {"n": 2}])
    processor.process_once("activity", "analyzer", "c1")

    keys = set(redis_client.scan_iter(match=f"{key_prefix}*"))
    assert {f"{key_prefix}activity", f"{key_prefix}activity:dead"} <= keys
    assert all(key.startswith(f"{key_prefix}activity") for key in keys)

    processor.delete_stream("activity")
    assert not list(redis_client.scan_iter(match=f"{key_prefix}*"))


def _group(status: StreamStatus, name: str = "analyzer"):
    group = status.group(name)
    assert group is not None
    return group
