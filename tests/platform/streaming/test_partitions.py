"""Partitioned streams: routing by key, reading several partitions in order, taking a partition
over from a dead owner, and the leases in Redis that share the partitions between processes."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
import redis

from studymate_api.streaming import (
    AllPartitions,
    PartitionedConsumer,
    RedisLeases,
    merged_status,
    partition_of,
    partition_stream,
    partition_streams,
)
from tests.platform.streaming.conftest import MakeProcessor, Recorder

GROUP = "analyzer"


class SimulatedCrash(BaseException):
    """A process killed mid-batch: nothing is acknowledged."""


def test_a_key_always_lands_in_the_same_partition_and_keys_spread_evenly():
    assert partition_of(37, 16) == partition_of(37, 16) == 5
    spread = Counter(partition_of(user_id, 16) for user_id in range(1, 1601))
    assert sorted(spread) == list(range(16))
    assert set(spread.values()) == {100}
    assert partition_stream("learning.activity", 3) == "learning.activity:{p3}"
    assert len(set(partition_streams("learning.activity", 16))) == 16


def test_several_partitions_are_read_in_one_cycle_each_in_order(make_processor: MakeProcessor):
    processor = make_processor(batch_size=50)
    streams = partition_streams("activity", 4)
    recorders = {stream: Recorder() for stream in streams}
    for stream, recorder in recorders.items():
        processor.register_handler(stream, GROUP, recorder)
    routed = [(streams[partition_of(n, 4)], {"n": n}) for n in range(40)]
    processor.publish_routed(routed)

    stats = processor.process_many(streams, GROUP, "a", block_ms=0)

    assert (stats.cycles, stats.processed) == (1, 40)
    for index, stream in enumerate(streams):
        assert recorders[stream].seen == [n for n in range(40) if n % 4 == index]


def test_a_failed_message_holds_its_partition_until_retried_not_the_others(
    make_processor: MakeProcessor,
):
    processor = make_processor(retry_delay_ms=50)
    streams = partition_streams("activity", 2)
    flaky, steady = Recorder(fail_on={0}), Recorder()
    processor.register_handler(streams[0], GROUP, flaky)
    processor.register_handler(streams[1], GROUP, steady)
    processor.publish_routed([(streams[0], {"n": 0}), (streams[1], {"n": 1})])
    assert processor.process_many(streams, GROUP, "a", block_ms=0).failed == 1
    processor.publish_routed([(streams[0], {"n": 2}), (streams[1], {"n": 3})])
    flaky.fail_on.clear()

    processor.process_many(streams, GROUP, "a", block_ms=0)  # 0 not due yet: 2 must wait
    assert (flaky.seen, steady.seen) == ([0], [1, 3])
    time.sleep(0.06)
    for _ in range(3):
        processor.process_many(streams, GROUP, "a", block_ms=0)

    assert flaky.seen == [0, 0, 2]  # the retry, then the next one: the key's order holds
    assert processor.status(streams[0]).group(GROUP).pending == 0  # type: ignore[union-attr]


def test_a_new_owner_first_handles_what_the_dead_owner_held_in_order(
    make_processor: MakeProcessor,
):
    dead, heir = make_processor(batch_size=3), make_processor(batch_size=3)
    stream = partition_stream("activity", 0)

    def die(batch):
        raise SimulatedCrash

    dead.register_handler(stream, GROUP, die)
    recorder = Recorder()
    heir.register_handler(stream, GROUP, recorder)
    dead.publish_many(stream, [{"n": n} for n in range(7)])
    with pytest.raises(SimulatedCrash):
        dead.process_many([stream], GROUP, "dead", block_ms=0)  # held 0-2, then died

    taken = heir.take_over(stream, GROUP, "heir")
    assert (taken.reclaimed, taken.processed) == (3, 3)
    assert recorder.deliveries[0][1] == 2  # a redelivery: handled alone, oldest first
    while heir.process_many([stream], GROUP, "heir", block_ms=0).delivered:
        pass

    assert recorder.seen == list(range(7))
    group = heir.status(stream).group(GROUP)
    assert group is not None
    assert group.pending == 0


def test_merged_status_sums_the_partitions(make_processor: MakeProcessor):
    processor = make_processor()
    streams = partition_streams("activity", 3)
    for stream in streams:
        processor.register_handler(stream, GROUP, Recorder())
    processor.publish_routed([(streams[n % 3], {"n": n}) for n in range(9)])
    processor.process_many(streams[:2], GROUP, "a", block_ms=0)
    processor.ensure_group(streams[2], GROUP)

    merged = merged_status("activity", [processor.status(stream) for stream in streams])

    group = merged.group(GROUP)
    assert group is not None
    assert (merged.length, group.lag, group.pending) == (9, 3, 0)
    assert [consumer.name for consumer in group.consumers] == ["a"]


def test_the_only_consumer_holds_every_partition():
    leases = AllPartitions(4)
    assert leases.beat() == [0, 1, 2, 3]
    assert leases.holds(3)
    assert not leases.holds(4)


# --- leases in Redis -------------------------------------------------------------------------


def make_leases(client: redis.Redis, prefix: str, owner: str, lease_ms: int = 2_000) -> RedisLeases:
    return RedisLeases(
        client, key_prefix=prefix, stream="activity", partitions=8, owner=owner, lease_ms=lease_ms
    )


def test_processes_share_the_partitions_evenly_and_take_a_leavers_share(
    redis_client: redis.Redis, key_prefix: str
):
    first, second = (
        make_leases(redis_client, key_prefix, "a"),
        make_leases(redis_client, key_prefix, "b"),
    )
    assert first.beat() == list(range(8))  # alone: everything
    assert second.beat() == []  # none free yet; it is counted as live now
    assert first.beat() == [0, 1, 2, 3]  # ceil(8 / 2): gives the rest back
    assert second.beat() == [4, 5, 6, 7]
    assert (first.live, second.live) == (2, 2)
    assert first.holds(0)
    assert not first.holds(4)

    first.release()  # a clean stop

    assert not first.holds(0)
    assert second.beat() == list(range(8))


def test_a_dead_processs_partitions_move_once_its_leases_expire(
    redis_client: redis.Redis, key_prefix: str
):
    dead = make_leases(redis_client, key_prefix, "dead", lease_ms=1_000)
    survivor = make_leases(redis_client, key_prefix, "survivor", lease_ms=1_000)
    assert dead.beat() == list(range(8))
    assert dead.holds(0)
    assert survivor.beat() == []
    # `dead` never beats again: it stops trusting its leases (after 2/3 of 1 s) before they
    # expire in Redis (1 s) ...
    time.sleep(0.7)
    assert not dead.holds(0)
    assert survivor.beat() == []  # ... and nobody takes them before they do
    time.sleep(0.45)

    assert survivor.beat() == list(range(8))
    assert survivor.live == 1


def test_the_consumer_gives_its_leases_back_when_it_stops(
    make_processor: MakeProcessor, redis_client: redis.Redis, key_prefix: str
):
    processor = make_processor(lease_ms=3_000)
    leases = make_leases(redis_client, key_prefix, "a", lease_ms=3_000)
    streams = partition_streams("activity", 8)
    recorder = Recorder()
    for stream in streams:
        processor.register_handler(stream, GROUP, recorder)
    processor.publish_routed([(streams[partition_of(n, 8)], {"n": n}) for n in range(16)])
    consumer = PartitionedConsumer(processor, "activity", GROUP, "a", leases)
    stop = threading.Event()
    thread = threading.Thread(target=consumer.run, kwargs={"stop_event": stop})
    thread.start()
    deadline = time.monotonic() + 5
    while len(recorder.seen) < 16 and time.monotonic() < deadline:
        time.sleep(0.02)
    stop.set()
    thread.join(timeout=5)

    assert sorted(recorder.seen) == list(range(16))
    assert make_leases(redis_client, key_prefix, "next", lease_ms=3_000).beat() == list(range(8))


def test_a_failure_during_a_takeover_holds_the_messages_after_it(make_processor: MakeProcessor):
    dead, heir = make_processor(batch_size=3), make_processor(batch_size=3)
    stream = partition_stream("activity", 0)

    def die(batch):
        raise SimulatedCrash

    dead.register_handler(stream, GROUP, die)
    recorder = Recorder(fail_on={0})
    heir.register_handler(stream, GROUP, recorder)
    dead.publish_many(stream, [{"n": n} for n in range(4)])
    with pytest.raises(SimulatedCrash):
        dead.process_many([stream], GROUP, "dead", block_ms=0)

    taken = heir.take_over(stream, GROUP, "heir")
    assert (taken.reclaimed, taken.failed, recorder.seen) == (3, 1, [0])  # 1 and 2 wait
    recorder.fail_on.clear()
    while heir.process_many([stream], GROUP, "heir", block_ms=0).delivered:
        pass

    assert recorder.seen == [0, 0, 1, 2, 3]


def test_three_processes_split_eight_partitions_three_three_two(
    redis_client: redis.Redis, key_prefix: str
):
    leases = [make_leases(redis_client, key_prefix, name) for name in ("a", "b", "c")]
    for _ in range(3):  # joins and hand-overs settle within a few beats
        held = [one.beat() for one in leases]

    assert sorted(len(share) for share in held) == [2, 3, 3]
    assert sorted(index for share in held for index in share) == list(range(8))
