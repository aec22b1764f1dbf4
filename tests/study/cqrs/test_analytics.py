"""`GET /api/cqrs/study-analytics/`: the learner's totals, counted from the study rows."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from study import services

from .conftest import ANALYTICS, PROGRESS, SUBJECTS, generate_url

pytestmark = pytest.mark.django_db

ZEROES = {
    "subjects_created": 0,
    "summaries_requested": 0,
    "summaries_completed": 0,
    "summaries_failed": 0,
    "tokens_used": 0,
    "minutes_studied": 0,
    "sessions_count": 0,
    "last_activity_at": None,
}


def test_a_new_learner_has_zeroes(auth_client, django_assert_num_queries):
    # The user with their time zone; summaries, progress, subjects, days.
    with django_assert_num_queries(1 + 4):
        body = auth_client.get(ANALYTICS).json()

    assert {key: body[key] for key in ZEROES} == ZEROES
    assert len(body["daily_minutes"]) == 30
    assert {day["minutes"] for day in body["daily_minutes"]} == {0}


def test_counts_the_learners_own_activity(
    auth_client, other_client, user, subject, public_subject, commit_hooks
):
    summary_body = {"content": "A sentence about cells. " * 5, "summary_type": "brief"}
    with commit_hooks():
        auth_client.post(SUBJECTS, {"name": "Chemistry"})
        auth_client.post(generate_url(subject.pk), summary_body)
        auth_client.post(PROGRESS, {"subject_id": subject.pk, "minutes": 30})
        auth_client.post(PROGRESS, {"subject_id": public_subject.pk, "minutes": 15})
        # Yesterday (in Seoul, the default time zone), through the service like a late entry.
        services.progress_log(
            user=user,
            subject_id=subject.pk,
            minutes=10,
            when=timezone.now() - datetime.timedelta(days=1),
        )
        other_client.post(PROGRESS, {"subject_id": public_subject.pk, "minutes": 500})

    body = auth_client.get(ANALYTICS).json()

    assert body["subjects_created"] == 2  # Biology (the fixture) and Chemistry
    assert (body["summaries_requested"], body["summaries_completed"]) == (1, 1)
    assert body["summaries_failed"] == 0
    assert body["tokens_used"] > 0
    assert (body["minutes_studied"], body["sessions_count"]) == (55, 3)
    assert body["last_activity_at"] is not None
    days = body["daily_minutes"]
    assert [day["minutes"] for day in days[-2:]] == [10, 45]
    assert sum(day["minutes"] for day in days) == 55
    dates = [datetime.date.fromisoformat(day["date"]) for day in days]
    assert dates == sorted(dates)
    assert dates[-1] - dates[0] == datetime.timedelta(days=29)
