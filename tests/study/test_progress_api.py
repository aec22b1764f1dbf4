"""Progress: logging study time, totals, streaks in the learner's time zone, completion."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from prometheus_client import REGISTRY

from study import services
from study.models import StudyLog, StudyProgress
from study.selectors import user_timezone
from study.serializers import ProgressOutputSerializer
from studymate_api.core.errors import ValidationFailed

from .factories import SubjectFactory

pytestmark = pytest.mark.django_db

PROGRESS = "/api/study/progress/"
UTC = datetime.UTC


def log(user, subject, minutes=30, when=None):
    return services.progress_log(user=user, subject_id=subject.pk, minutes=minutes, when=when)


def days_ago(days: int, hour: int = 0) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days, hours=hour)


def tracked(event: str) -> float:
    value = REGISTRY.get_sample_value("studymate_events_tracked_total", {"event": event})
    return value or 0.0


class TestLog:
    def test_logs_time_and_answers_the_subject_progress(self, auth_client, subject, commit_hooks):
        before = tracked("study_time_logged")
        with commit_hooks():
            response = auth_client.post(
                PROGRESS, {"subject_id": subject.pk, "minutes": 45, "topics_covered": ["cells"]}
            )
        assert response.status_code == 201
        body = response.json()
        assert set(ProgressOutputSerializer().fields) == set(body)
        assert body["subject"] == subject.pk
        assert body["total_study_minutes"] == 45
        assert body["sessions_count"] == 1
        assert body["streak_days"] == 1
        assert body["last_studied_at"] is not None
        assert StudyLog.objects.get().topics_covered == ["cells"]
        assert tracked("study_time_logged") == before + 1

    def test_sessions_add_up(self, auth_client, subject):
        auth_client.post(PROGRESS, {"subject_id": subject.pk, "minutes": 20})
        body = auth_client.post(PROGRESS, {"subject_id": subject.pk, "minutes": 25}).json()
        assert (body["total_study_minutes"], body["sessions_count"]) == (45, 2)
        assert StudyProgress.objects.count() == 1

    @pytest.mark.parametrize("minutes", [0, -5, 1441, "many"])
    def test_minutes_must_be_1_to_1440(self, auth_client, subject, minutes):
        response = auth_client.post(PROGRESS, {"subject_id": subject.pk, "minutes": minutes})
        assert response.status_code == 400
        assert "minutes" in response.json()["error"]["fields"]

    def test_unknown_or_hidden_subject_is_not_found(self, auth_client, hidden_subject):
        for subject_id in (hidden_subject.pk, 999_999):
            response = auth_client.post(PROGRESS, {"subject_id": subject_id, "minutes": 5})
            assert response.status_code == 404
        assert not StudyProgress.objects.exists()

    def test_too_many_topics(self, auth_client, subject):
        topics = [f"t{i}" for i in range(51)]
        response = auth_client.post(
            PROGRESS, {"subject_id": subject.pk, "minutes": 5, "topics_covered": topics}
        )
        assert response.status_code == 400

    def test_the_service_refuses_future_times(self, user, subject):
        with pytest.raises(ValidationFailed) as refused:
            log(user, subject, when=timezone.now() + datetime.timedelta(hours=1))
        assert refused.value.fields is not None
        assert set(refused.value.fields) == {"when"}


class TestList:
    def test_own_progress_only_most_recent_first(self, auth_client, user, other_user, subject):
        older = SubjectFactory.create(name="Older")
        log(user, older, when=days_ago(2))
        log(user, subject)
        log(other_user, older)
        response = auth_client.get(PROGRESS)
        assert response.status_code == 200
        body = response.json()
        assert body["count"] == 2
        assert [row["subject"] for row in body["results"]] == [subject.pk, older.pk]
        assert body["results"][0]["subject_name"] == "Biology"

    def test_requires_authentication(self, api_client):
        assert api_client.get(PROGRESS).status_code == 401


class TestStreaks:
    def test_consecutive_days_count(self, auth_client, user, subject):
        for days in (2, 1, 0):
            log(user, subject, when=days_ago(days))
        assert auth_client.get(PROGRESS).json()["results"][0]["streak_days"] == 3

    def test_two_logs_on_one_day_count_once(self, user, subject):
        # Midday yesterday in the learner's time zone: a minute later is the same local day
        # whenever the test runs (just before local midnight too).
        zone = user_timezone(user)
        noon = timezone.localtime(days_ago(1), zone).replace(hour=12, minute=0)
        log(user, subject, when=noon)
        progress = log(user, subject, when=noon + datetime.timedelta(minutes=1))
        assert progress.streak_days == 1

    def test_a_missed_day_starts_again(self, user, subject):
        for days in (5, 4, 2):
            progress = log(user, subject, when=days_ago(days))
        assert progress.streak_days == 1
        assert progress.longest_streak_days == 2

    def test_a_late_entry_joins_two_runs(self, user, subject):
        for days in (4, 3, 1, 0):
            log(user, subject, when=days_ago(days))
        progress = log(user, subject, when=days_ago(2))
        assert progress.streak_days == 5
        assert progress.longest_streak_days == 5

    def test_a_streak_still_counts_the_day_after(self, auth_client, user, subject):
        log(user, subject, when=days_ago(2))
        log(user, subject, when=days_ago(1))
        assert auth_client.get(PROGRESS).json()["results"][0]["streak_days"] == 2

    def test_a_broken_streak_reads_zero(self, auth_client, user, subject):
        progress = log(user, subject, when=days_ago(3))
        assert progress.streak_days == 1
        assert auth_client.get(PROGRESS).json()["results"][0]["streak_days"] == 0

    def test_days_are_the_learners_own(self, user, other_user, subject):
        """14:00 and 16:00 UTC on one day are 23:00 and 01:00 of two days in Seoul."""
        user.profile.timezone = "Asia/Seoul"
        user.profile.save()
        other_user.profile.timezone = "Europe/London"
        other_user.profile.save()
        evening = datetime.datetime(2026, 1, 10, 14, 0, tzinfo=UTC)
        after_midnight = datetime.datetime(2026, 1, 10, 16, 0, tzinfo=UTC)
        log(user, subject, when=evening)
        in_seoul = log(user, subject, when=after_midnight)
        public = SubjectFactory.create()
        log(other_user, public, when=evening)
        in_london = log(other_user, public, when=after_midnight)
        assert (in_seoul.streak_days, in_london.streak_days) == (2, 1)
        assert in_seoul.last_study_date == datetime.date(2026, 1, 11)

    def test_without_a_profile_seoul_is_assumed(self, user, subject):
        user.profile.delete()
        user.refresh_from_db()
        log(user, subject, when=datetime.datetime(2026, 1, 10, 14, 0, tzinfo=UTC))
        progress = log(user, subject, when=datetime.datetime(2026, 1, 10, 16, 0, tzinfo=UTC))
        assert progress.streak_days == 2


class TestCompletion:
    def test_against_the_default_target(self, user, subject):
        assert log(user, subject, minutes=120).completion_percentage == 10.0

    def test_against_the_learners_goal_for_the_subject(self, auth_client, user, subject):
        log(user, subject, minutes=120)
        auth_client.post(
            "/api/study/goals/",
            {"subject_id": subject.pk, "title": "Finish", "target_minutes": 240},
        )
        row = auth_client.get(PROGRESS).json()["results"][0]
        assert row["completion_percentage"] == 50.0

    def test_capped_at_100(self, user, subject):
        assert log(user, subject, minutes=1440).completion_percentage == 100.0
        assert log(user, subject, minutes=1440).completion_percentage == 100.0
