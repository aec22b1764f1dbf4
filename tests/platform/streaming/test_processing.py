"""Publish, consume, acknowledge; batches; failures, retries and dead letters."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from decimal import Decimal

import pytest

from studymate_api.streaming import StreamMessage, each_message
from tests.platform.streaming.conftest import MakeProcessor, Recorder


def test_published_events_are_consumed_and_acknowledged(make_processor: MakeProcessor, recorder):
    processor = make_processor()
    processor.register_handler("activity", "analyzer", recorder)
    ids = [processor.publish("activity", {"n": n, "kind": "answer"}) for n in range(3)]

    stats = processor.process_once("activity", "analyzer", "c1")

    assert recorder.deliveries == [(entry_id, 1) for entry_id in ids]
    assert recorder.batches == [[{"n": n, "kind": "answer"} for n in range(3)]]
    assert (stats.delivered, stats.processed, stats.failed) == (3, 3, 0)
    group = processor.status("activity").group("analyzer")
    assert group is not None
    assert (group.pending, group.lag) == (0, 0)
    assert processor.process_once("activity", "analyzer", "c1").delivered == 0


def test_payloads_round_trip_as_json(make_processor: MakeProcessor, recorder):
    processor = make_processor()
    processor.register_handler("activity", "analyzer", recorder)
    moment = dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    key = uuid.UUID(int=7)
    processor.publish("activity", {"at": moment, "id": key, "score": Decimal("1.5"), "tags": [1]})

    processor.process_once("activity", "analyzer", "c1")

    assert recorder.batches == [
        [{"at": "2025-01-02T03:04:05Z", "id": str(key), "score": "1.5", "tags": [1]}]
    ]


def test_each_group_gets_every_event(make_processor: MakeProcessor):
    processor = make_processor()
    analyzer, archive = Recorder(), Recorder()
    processor.register_handler("activity", "analyzer", analyzer)
    processor.register_handler("activity", "archive", archive)
    processor.publish_many("activity", [{"n": n} for n in range(4)])

    processor.process_once("activity", "analyzer", "c1")
    processor.process_once("activity", "archive", "c1")

    assert analyzer.seen == archive.seen == [0, 1, 2, 3]


def test_handlers_receive_batches_of_at_most_batch_size(make_processor: MakeProcessor, recorder):
    processor = make_processor(batch_size=4)
    processor.register_handler("activity", "analyzer", recorder)
    processor.publish_many("activity", [{"n": n} for n in range(10)])

    for _ in range(4):
        processor.process_once("activity", "analyzer", "c1")

    assert [len(batch) for batch in recorder.batches] == [4, 4, 2]
    assert recorder.seen == list(range(10))


def test_per_message_handlers_are_adapted_to_batches(make_processor: MakeProcessor):
    processor = make_processor()
    seen: list[StreamMessage] = []
    processor.register_handler("activity", "analyzer", each_message(seen.append))
    processor.publish_many("activity", [{"n": 1}, {"n": 2}])

    processor.process_once("activity", "analyzer", "c1")

    assert [message.payload["n"] for message in seen] == [1, 2]


def test_failed_batch_is_retried_and_poison_message_dead_lettered(make_processor: MakeProcessor):
    """The failed batch comes back one message at a time: the good ones pass, the poison one
    is handed out max_deliveries times, then moved to the dead-letter stream with its error."""
    processor = make_processor(max_deliveries=3)
    recorder = Recorder(fail_on={"poison"})
    processor.register_handler("activity", "analyzer", recorder)
    good_id, poison_id, other_id = processor.publish_many(
        "activity", [{"n": "good"}, {"n": "poison"}, {"n": "other"}]
    )

    first = processor.process_once("activity", "analyzer", "c1")
    second = processor.process_once("activity", "analyzer", "c1")
    third = processor.process_once("activity", "analyzer", "c1")

    assert (first.failed, first.processed) == (3, 0)
    assert (second.processed, second.failed) == (2, 1)
    assert (third.dead_lettered, third.failed) == (1, 0)
    assert [n for n in recorder.seen if n == "poison"] == ["poison"] * 3
    assert recorder.deliveries[3:] == [(good_id, 2), (poison_id, 2), (other_id, 2), (poison_id, 3)]
    [letter] = processor.dead_letters("activity")
    assert (letter.message_id, letter.group, letter.consumer) == (poison_id, "analyzer", "c1")
    assert letter.deliveries == 3
    assert letter.error == "ValueError: cannot handle ['poison']"
    assert letter.payload == {"n": "poison"}
    group = processor.status("activity").group("analyzer")
    assert group is not None
    assert (group.pending, group.dead_letters) == (0, 1)
    assert processor.process_once("activity", "analyzer", "c1").delivered == 0


def test_failed_message_waits_for_the_retry_delay(make_processor: MakeProcessor):
    processor = make_processor(retry_delay_ms=150)
    recorder = Recorder(fail_on={1})
    processor.register_handler("activity", "analyzer", recorder)
    processor.publish("activity", {"n": 1})
    processor.process_once("activity", "analyzer", "c1")
    recorder.fail_on.clear()  # the outage is over

    too_soon = processor.process_once("activity", "analyzer", "c1")
    time.sleep(0.2)
    later = processor.process_once("activity", "analyzer", "c1")

    assert too_soon.delivered == 0
    assert (later.delivered, later.processed) == (1, 1)
    assert recorder.deliveries[-1][1] == 2


def test_single_delivery_setting_dead_letters_on_first_failure(make_processor: MakeProcessor):
    processor = make_processor(max_deliveries=1)
    processor.register_handler("activity", "analyzer", Recorder(fail_on={1}))
    processor.publish("activity", {"n": 1})

    stats = processor.process_once("activity", "analyzer", "c1")

    assert (stats.failed, stats.dead_lettered) == (0, 1)
    assert [letter.deliveries for letter in processor.dead_letters("activity")] == [1]


def test_consuming_without_a_handler_is_refused(make_processor: MakeProcessor):
    processor = make_processor()
    processor.publish("activity", {"n": 1})

    with pytest.raises(LookupError, match="no handler"):
        processor.process_once("activity", "analyzer", "c1")


@pytest.mark.parametrize("name", ["", "has space", "activity:dead", "a:processed:b", "x" * 201])
def test_bad_stream_names_are_refused(make_processor: MakeProcessor, name: str):
    with pytest.raises(ValueError, match="stream name"):
        make_processor().publish(name, {"n": 1})


def test_events_must_be_json_objects(make_processor: MakeProcessor):
    processor = make_processor()
    with pytest.raises(TypeError):
        processor.publish("activity", [1, 2])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        processor.publish("activity", {"n": object()})


@pytest.mark.parametrize("backend_kind", ["redis"])
def test_entry_written_by_someone_else_is_dead_lettered(make_processor, redis_client, key_prefix):
    """Redis only: an entry without our JSON `data` field cannot be handled, ever."""
    processor = make_processor()
    recorder = Recorder()
    processor.register_handler("activity", "analyzer", recorder)
    processor.ensure_group("activity", "analyzer")
    foreign_id = redis_client.xadd(f"{key_prefix}activity", {"kind": "answer"})
    processor.publish("activity", {"n": 1})

    stats = processor.process_once("activity", "analyzer", "c1")

    assert (stats.processed, stats.dead_lettered) == (1, 1)
    assert recorder.seen == [1]
    [letter] = processor.dead_letters("activity")
    assert letter.message_id == foreign_id
    assert "no JSON object" in letter.error
