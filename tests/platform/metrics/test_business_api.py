"""GET /api/metrics/business/: staff only; DAU/WAU/MAU, sign-ups and events per day, AI usage."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from studymate_api.core.models import AIUsage
from studymate_api.metrics.events import EventRecord, enqueue
from studymate_api.metrics.flush import flush_events
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/metrics/business/"


def test_anonymous_is_401(api_client):
    response = api_client.get(URL)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_learner_is_403(learner_client):
    response = learner_client.get(URL)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


@pytest.mark.parametrize("days", ["abc", "0", "366", "-3", "1.5"])
def test_days_is_validated(staff_client, days):
    response = staff_client.get(URL, {"days": days})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert list(error["fields"]) == ["days"]


def test_empty_report_has_every_day_and_the_key_events(staff_client):
    body = staff_client.get(URL, {"days": 3}).json()

    today = timezone.now().date()
    assert body["days"] == 3
    assert body["end_date"] == today.isoformat()
    assert [d["date"] for d in body["daily"]] == [
        (today - timedelta(days=n)).isoformat() for n in (2, 1, 0)
    ]
    assert body["daily"][0]["event_counts"] == {"quiz_completed": 0, "summary_created": 0}
    assert body["active_users"] == {"dau": 0, "wau": 0, "mau": 0}
    assert body["ai_usage"] == []
    assert body["revenue"] is None


def _at(days_ago: int, hour: int = 12) -> datetime:
    day = timezone.now().date() - timedelta(days=days_ago)
    return datetime.combine(day, time(hour), tzinfo=UTC)


def _event(name: str, days_ago: int, user=None) -> None:
    user_id = user.pk if user is not None else None
    assert enqueue(EventRecord(name=name, occurred_at=_at(days_ago), user_id=user_id))


def _ai_call(
    provider: str,
    model: str,
    prompt: int,
    completion: int,
    cost: str,
    latency_ms: int,
    outcome: str,
    days_ago: int = 0,
) -> None:
    AIUsage.objects.create(
        task="summary",
        provider=provider,
        model=model,
        prompt_tokens=prompt,
        completion_tokens=completion,
        cost_usd=Decimal(cost),
        latency_ms=latency_ms,
        outcome=outcome,
        created_at=_at(days_ago),
    )


def test_report_numbers(buffer, staff_client, staff_user):
    early, weekly, today_only = (UserFactory.create() for _ in range(3))
    type(early).objects.filter(pk=early.pk).update(date_joined=_at(20))
    type(weekly).objects.filter(pk=weekly.pk).update(date_joined=_at(1))
    for user, days_ago in [(early, 20), (weekly, 5), (weekly, 0), (today_only, 0)]:
        _event("summary_created", days_ago, user)
    _event("quiz_completed", 0, today_only)
    _event("quiz_completed", 0, today_only)
    _event("quiz_completed", 0)  # anonymous: an event, not an active user
    _event("note_saved", 5, weekly)
    _ai_call("openai", "gpt-4o-mini", 100, 50, "0.0015", 1000, AIUsage.Outcome.SUCCESS)
    _ai_call("openai", "gpt-4o", 10, 0, "0.01", 3000, AIUsage.Outcome.ERROR)
    _ai_call("local", "echo", 5, 5, "0", 10, AIUsage.Outcome.FALLBACK)
    # Refused before any provider was called, and a call outside the window: neither counts.
    _ai_call("", "", 0, 0, "0", 0, AIUsage.Outcome.REJECTED)
    _ai_call("openai", "gpt-4o", 1, 1, "1", 1, AIUsage.Outcome.SUCCESS, days_ago=8)
    flush_events()

    body = staff_client.get(URL, {"days": 7}).json()

    assert body["active_users"] == {"dau": 2, "wau": 2, "mau": 3}
    # The staff user, today_only and (joined yesterday) weekly; early is outside the window.
    assert body["signups_total"] == 3
    today, five_days_ago = body["daily"][-1], body["daily"][1]
    assert today["signups"] == 2
    assert today["event_counts"] == {"note_saved": 0, "quiz_completed": 3, "summary_created": 2}
    assert (today["active_users"], today["events"]) == (2, 5)
    assert today["events_per_active_user"] == 2.0  # 4 events by 2 signed-in users
    assert five_days_ago["event_counts"]["note_saved"] == 1
    assert body["event_totals"] == {"note_saved": 1, "quiz_completed": 3, "summary_created": 3}
    assert body["ai_usage"] == [
        {
            "provider": "local",
            "calls": 1,
            "failures": 0,
            "prompt_tokens": 5,
            "completion_tokens": 5,
            "total_tokens": 10,
            "cost_usd": "0.000000",
            "average_latency_ms": 10.0,
        },
        {
            "provider": "openai",
            "calls": 2,
            "failures": 1,
            "prompt_tokens": 110,
            "completion_tokens": 50,
            "total_tokens": 160,
            "cost_usd": "0.011500",
            "average_latency_ms": 2000.0,
        },
    ]


@pytest.mark.parametrize("days", [1, 365])
def test_query_count_does_not_grow_with_the_window(staff_client, django_assert_num_queries, days):
    # user (JWT), sign-ups, activity per day, events per day, DAU/WAU/MAU, AI usage
    with django_assert_num_queries(6):
        assert staff_client.get(URL, {"days": days}).status_code == 200


def test_embedded_report_flushes_this_process_buffer_first(settings, staff_client, user):
    """No beat runs on the embedded default; with Redis the scheduled flush does this."""
    settings.METRICS_REDIS_URL = None
    _event("summary_created", 0, user)
    body = staff_client.get(URL, {"days": 1}).json()
    assert body["event_totals"]["summary_created"] == 1
