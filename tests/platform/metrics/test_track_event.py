"""track_event buffers without touching the database, never raises, and the flush turns the
buffer into exact hourly, daily, active-user and AI aggregates."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.contrib.auth.models import AnonymousUser

from studymate_api.core.models import (
    DailyActiveUser,
    DailyEventCount,
    HourlyEventCount,
    ProcessedEventBatch,
)
from studymate_api.metrics import record_ai_call, track_event
from studymate_api.metrics.events import EventRecord, enqueue
from studymate_api.metrics.flush import flush_events
from studymate_api.metrics.instruments import EVENTS_DROPPED
from tests.platform.metrics.conftest import DEAD_REDIS_URL

pytestmark = pytest.mark.django_db

DAY1_10H = datetime(2025, 3, 1, 10, 15, tzinfo=UTC)
DAY1_10H_LATER = datetime(2025, 3, 1, 10, 59, tzinfo=UTC)
DAY1_11H = datetime(2025, 3, 1, 11, 5, tzinfo=UTC)
DAY2_09H = datetime(2025, 3, 2, 9, 0, tzinfo=UTC)


def _dropped(reason: str) -> float:
    return EVENTS_DROPPED.labels(reason=reason)._value.get()


def _event(name, at, user_id=None):
    assert enqueue(EventRecord(name=name, occurred_at=at, user_id=user_id))


def test_track_event_only_buffers(buffer, user, django_assert_num_queries):
    with django_assert_num_queries(0):
        track_event("summary_created", user=user, subject_id=3, summary_type="brief")
        track_event("quiz_completed", user=user.pk, score=80)
        track_event("summary_created", user=AnonymousUser())
    assert buffer.size() == 3
    assert not DailyEventCount.objects.exists()


def test_flush_writes_hourly_daily_and_active_users(buffer, user, other_user):
    _event("summary_created", DAY1_10H, user.pk)
    _event("summary_created", DAY1_10H_LATER, other_user.pk)
    _event("summary_created", DAY1_11H, user.pk)
    _event("quiz_completed", DAY1_11H, user.pk)
    _event("quiz_completed", DAY2_09H, None)

    result = flush_events()

    assert (result.batches, result.events) == (1, 5)
    assert buffer.size() == 0
    assert buffer.pending_batches() == []
    hourly = {(r.name, r.hour): r.count for r in HourlyEventCount.objects.all()}
    assert hourly == {
        ("summary_created", DAY1_10H.replace(minute=0)): 2,
        ("summary_created", DAY1_11H.replace(minute=0)): 1,
        ("quiz_completed", DAY1_11H.replace(minute=0)): 1,
        ("quiz_completed", DAY2_09H): 1,
    }
    daily = {(r.name, r.day): r.count for r in DailyEventCount.objects.all()}
    assert daily == {
        ("summary_created", date(2025, 3, 1)): 3,
        ("quiz_completed", date(2025, 3, 1)): 1,
        ("quiz_completed", date(2025, 3, 2)): 1,
    }
    active = {(r.day, r.user_id): r.event_count for r in DailyActiveUser.objects.all()}
    assert active == {(date(2025, 3, 1), user.pk): 3, (date(2025, 3, 1), other_user.pk): 1}


def test_later_flushes_add_to_existing_rows(buffer, user):
    _event("summary_created", DAY1_10H, user.pk)
    flush_events()
    _event("summary_created", DAY1_10H_LATER, user.pk)
    flush_events()

    assert DailyEventCount.objects.get(name="summary_created").count == 2
    assert HourlyEventCount.objects.get(name="summary_created").count == 2
    assert DailyActiveUser.objects.get(user_id=user.pk).event_count == 2
    assert ProcessedEventBatch.objects.count() == 2


def test_flush_is_bounded_and_batched(buffer, settings, user):
    settings.METRICS_FLUSH_BATCH_SIZE = 2
    for _ in range(7):
        _event("quiz_completed", DAY1_10H, user.pk)

    first = flush_events(max_batches=3)

    assert (first.batches, first.events) == (3, 6)
    assert buffer.size() == 1
    assert flush_events().events == 1
    assert DailyEventCount.objects.get().count == 7


def test_ai_calls_are_not_business_events(buffer):
    """Prometheus gets them; the business report counts them from the AI usage rows."""
    record_ai_call("openai", "gpt-4o-mini", 100, 20, 0.000150, 0.5, "success")

    assert buffer.size() == 0


@pytest.mark.parametrize("name", ["", "Summary", "has space", "x" * 65, "dash-ed", "9lives"])
def test_invalid_names_are_dropped_not_raised(buffer, name):
    before = _dropped("invalid_name")
    track_event(name)
    assert buffer.size() == 0
    assert _dropped("invalid_name") == before + 1


def test_properties_that_are_not_json_never_raise(buffer):
    circular: dict[str, object] = {}
    circular["self"] = circular
    before = _dropped("error")

    track_event("summary_created", when=datetime.now(tz=UTC), obj=object())
    track_event("summary_created", data=circular)

    assert buffer.size() == 1
    assert _dropped("error") == before + 1


def test_oversized_properties_are_cut(buffer):
    track_event("note_saved", text="x" * 10_000)
    [raw] = buffer.claim("inspect", 10)
    assert EventRecord.decode(raw).props == {"truncated": True}


def test_buffer_is_bounded(buffer, settings):
    settings.METRICS_BUFFER_MAX_EVENTS = 3
    before = _dropped("buffer_full")
    for _ in range(5):
        track_event("quiz_completed")
    assert buffer.size() == 3
    assert _dropped("buffer_full") == before + 2


def test_redis_down_is_counted_not_raised(settings):
    settings.METRICS_REDIS_URL = DEAD_REDIS_URL
    before = _dropped("buffer_unavailable")

    track_event("summary_created")
    track_event("summary_created")  # within the retry window: Redis is not even tried

    assert _dropped("buffer_unavailable") == before + 2
    record_ai_call("openai", "gpt-4o-mini", 1, 1, 0.001, 0.1, "success")  # no raise either


def test_a_property_called_name_is_just_a_property(buffer, user):
    track_event("subject_created", user=user, name="Linear algebra")
    [raw] = buffer.claim("inspect", 10)
    record = EventRecord.decode(raw)
    assert (record.name, record.user_id) == ("subject_created", user.pk)
    assert record.props == {"name": "Linear algebra"}
