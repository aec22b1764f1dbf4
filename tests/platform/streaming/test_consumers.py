"""Several consumers: crash and reclaim, sharing a group, stopping, a group that vanishes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings

from studymate_api.streaming import ProcessingStats
from tests.platform.streaming.conftest import MakeProcessor, Recorder


class SimulatedCrash(BaseException):
    """Like a worker killed mid-batch: not an Exception, so nothing is acknowledged."""


def crash(batch):
    raise SimulatedCrash


def test_crashed_consumer_messages_are_reclaimed_by_another(make_processor: MakeProcessor):
    worker_a, worker_b = make_processor(claim_idle_ms=100), make_processor(claim_idle_ms=100)
    worker_a.register_handler("activity", "analyzer", crash)
    recorder = Recorder()
    worker_b.register_handler("activity", "analyzer", recorder)
    ids = worker_a.publish_many("activity", [{"n": 1}, {"n": 2}])
    with pytest.raises(SimulatedCrash):
        worker_a.process_once("activity", "analyzer", "a")

    too_soon = worker_b.process_once("activity", "analyzer", "b")
    time.sleep(0.15)
    reclaimed = worker_b.process_once("activity", "analyzer", "b")

    assert too_soon.delivered == 0
    assert (reclaimed.reclaimed, reclaimed.processed) == (2, 2)
    assert recorder.deliveries == [(ids[0], 2), (ids[1], 2)]
    group = worker_b.status("activity").group("analyzer")
    assert group is not None
    assert group.pending == 0
    assert {c.name: c.pending for c in group.consumers} == {"a": 0, "b": 0}


def consume_for_a_while(processor, consumer: str) -> None:
    for _ in range(20):
        processor.process_once("activity", "analyzer", consumer)
        time.sleep(0.02)


def test_message_whose_consumers_keep_dying_is_dead_lettered(make_processor: MakeProcessor):
    processor = make_processor(claim_idle_ms=30, max_deliveries=2)
    processor.register_handler("activity", "analyzer", crash)
    [entry_id] = processor.publish_many("activity", [{"n": 1}])
    for consumer in ("a", "b"):
        with pytest.raises(SimulatedCrash):
            consume_for_a_while(processor, consumer)
    time.sleep(0.05)

    stats = ProcessingStats()
    for _ in range(10):
        stats += processor.process_once("activity", "analyzer", "c")
        time.sleep(0.02)

    assert stats.dead_lettered == 1
    [letter] = processor.dead_letters("activity")
    assert (letter.message_id, letter.deliveries) == (entry_id, 3)
    assert "without being acknowledged" in letter.error


def test_two_consumers_share_the_work_without_duplicates(make_processor: MakeProcessor):
    processor = make_processor(batch_size=5)
    handled: Counter[int] = Counter()
    by_consumer: Counter[str] = Counter()
    lock = threading.Lock()
    stop = threading.Event()

    started = {name: threading.Event() for name in ("c1", "c2")}

    def handler(batch):
        # Each consumer holds its first batch until the other one has a batch too: on a loaded
        # machine one thread could otherwise drain the stream before the other is scheduled.
        started[threading.current_thread().name].set()
        for event in started.values():
            event.wait(5)
        with lock:
            handled.update(message.payload["n"] for message in batch)
            by_consumer[threading.current_thread().name] += len(batch)
            if sum(handled.values()) >= 200:
                stop.set()

    processor.register_handler("activity", "analyzer", handler)
    processor.ensure_group("activity", "analyzer")
    threads = [
        threading.Thread(
            target=processor.run,
            args=("activity", "analyzer", name),
            kwargs={"stop_event": stop},
            name=name,
        )
        for name in ("c1", "c2")
    ]
    for thread in threads:
        thread.start()
    processor.publish_many("activity", [{"n": n} for n in range(200)])
    stop.wait(10)
    stop.set()
    for thread in threads:
        thread.join(5)

    assert handled == Counter(range(200))  # every event exactly once
    assert by_consumer["c1"] > 0
    assert by_consumer["c2"] > 0
    group = processor.status("activity").group("analyzer")
    assert group is not None
    assert (group.pending, group.lag) == (0, 0)


def test_stop_event_ends_the_loop_after_the_current_batch(make_processor: MakeProcessor):
    processor = make_processor(batch_size=3)
    stop = threading.Event()
    batches: list[list[int]] = []

    def handler(batch):
        stop.set()  # a stop request arrives while the batch is being handled
        time.sleep(0.05)
        batches.append([message.payload["n"] for message in batch])

    processor.register_handler("activity", "analyzer", handler)
    processor.publish_many("activity", [{"n": n} for n in range(9)])

    totals = processor.run("activity", "analyzer", "c1", stop_event=stop)

    assert batches == [[0, 1, 2]]
    assert (totals.cycles, totals.processed) == (1, 3)
    group = processor.status("activity").group("analyzer")
    assert group is not None
    assert (group.pending, group.lag) == (0, 6)


def test_run_stops_after_max_batches(make_processor: MakeProcessor, recorder):
    processor = make_processor(batch_size=2)
    processor.register_handler("activity", "analyzer", recorder)
    processor.publish_many("activity", [{"n": n} for n in range(5)])

    totals = processor.run("activity", "analyzer", "c1", max_batches=5)

    assert totals.cycles == 5
    assert totals.processed == 5
    assert recorder.seen == [0, 1, 2, 3, 4]


def test_group_is_created_once_and_again_if_the_stream_vanishes(
    make_processor: MakeProcessor, recorder
):
    processor = make_processor()
    processor.ensure_group("activity", "analyzer")
    processor.ensure_group("activity", "analyzer")  # BUSYGROUP is not an error
    processor.register_handler("activity", "analyzer", recorder)
    processor.publish("activity", {"n": 1})
    processor.process_once("activity", "analyzer", "c1")

    processor.backend.delete("activity")  # behind the processor's back
    processor.publish("activity", {"n": 2})
    processor.process_once("activity", "analyzer", "c1")

    assert recorder.seen == [1, 2]


def test_group_started_at_dollar_skips_earlier_events(make_processor: MakeProcessor, recorder):
    processor = make_processor()
    processor.publish("activity", {"n": "old"})
    processor.ensure_group("activity", "analyzer", start_id="$")
    processor.register_handler("activity", "analyzer", recorder)
    processor.publish("activity", {"n": "new"})

    processor.process_once("activity", "analyzer", "c1")

    assert recorder.seen == ["new"]


_KILLED_CONSUMER = textwrap.dedent(
    """
    import sys, time, django
    django.setup()
    from studymate_api.streaming import StreamConfig, StreamProcessor

    def handle(batch):
        print("handling", len(batch), flush=True)
        time.sleep(60)  # killed in here

    processor = StreamProcessor(StreamConfig(key_prefix=sys.argv[1], batch_size=10))
    processor.register_handler("activity", "analyzer", handle)
    processor.process_once("activity", "analyzer", "doomed")
    """
)


@pytest.mark.e2e
@pytest.mark.parametrize("backend_kind", ["redis"])
def test_killed_consumer_process_messages_are_processed_by_another(
    make_processor: MakeProcessor, key_prefix: str
):
    """Redis only: a real process takes a batch and is SIGKILLed while handling it."""
    survivor = make_processor(claim_idle_ms=300)
    recorder = Recorder()
    survivor.register_handler("activity", "analyzer", recorder)
    survivor.ensure_group("activity", "analyzer")
    ids = survivor.publish_many("activity", [{"n": n} for n in range(3)])
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "studymate_api.settings"}
    env["REDIS_URL"] = str(settings.REDIS_URL)
    child = subprocess.Popen(
        [sys.executable, "-c", _KILLED_CONSUMER, key_prefix],
        cwd=Path(__file__).resolve().parents[3],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "handling 3"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        if child.stdout is not None:
            child.stdout.close()
    group = survivor.status("activity").group("analyzer")
    assert group is not None
    assert {c.name: c.pending for c in group.consumers}.get("doomed") == 3

    deadline = time.monotonic() + 5
    while len(recorder.seen) < 3 and time.monotonic() < deadline:
        survivor.process_once("activity", "analyzer", "survivor")

    assert recorder.deliveries == [(entry_id, 2) for entry_id in ids]
    group = survivor.status("activity").group("analyzer")
    assert group is not None
    assert group.pending == 0
