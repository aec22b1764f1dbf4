"""Goals (CRUD, progress from logged minutes) and study settings."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from study import services
from study.models import StudyGoal, StudySettings

from .factories import SubjectFactory

pytestmark = pytest.mark.django_db

GOALS = "/api/study/goals/"
SETTINGS = "/api/study/settings/"


def goal_url(goal_id: int) -> str:
    return f"{GOALS}{goal_id}/"


def log(user, subject, minutes):
    return services.progress_log(user=user, subject_id=subject.pk, minutes=minutes)


@pytest.fixture
def goal(user, subject) -> StudyGoal:
    return services.goal_create(
        user=user, title="Ten hours", target_minutes=600, subject_id=subject.pk
    )


class TestGoals:
    def test_create_with_the_contract_fields(self, auth_client, subject):
        target = (timezone.now() + datetime.timedelta(days=30)).date().isoformat()
        response = auth_client.post(
            GOALS,
            {
                "subject_id": subject.pk,
                "title": "Pass",
                "target_minutes": 300,
                "target_date": target,
            },
        )
        assert response.status_code == 201
        body = response.json()
        expected = {
            "id",
            "subject",
            "title",
            "target_minutes",
            "target_date",
            "status",
            "progress_percentage",
        }
        assert expected <= set(body)
        assert (body["subject"], body["status"], body["progress_percentage"]) == (
            subject.pk,
            "active",
            0.0,
        )
        assert body["target_date"] == target

    def test_a_goal_without_subject(self, auth_client):
        response = auth_client.post(GOALS, {"title": "Study daily", "target_minutes": 100})
        assert response.status_code == 201
        assert response.json()["subject"] is None

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"title": "x", "target_minutes": 0}, "target_minutes"),
            ({"target_minutes": 10}, "title"),
            ({"title": "x", "target_minutes": 10, "target_date": "2001-01-01"}, "target_date"),
            ({"title": "x", "target_minutes": 10, "status": "completed"}, "status"),
        ],
    )
    def test_validation(self, auth_client, body, field):
        response = auth_client.post(GOALS, body)
        assert response.status_code == 400
        assert field in response.json()["error"]["fields"]

    def test_a_hidden_subject_is_not_found(self, auth_client, hidden_subject):
        response = auth_client.post(
            GOALS, {"subject_id": hidden_subject.pk, "title": "x", "target_minutes": 10}
        )
        assert response.status_code == 404

    def test_progress_percentage_follows_logged_minutes(self, auth_client, user, subject, goal):
        log(user, subject, 150)
        log(user, SubjectFactory.create(), 100)  # another subject: not this goal's
        body = auth_client.get(goal_url(goal.pk)).json()
        assert body["progress_percentage"] == 25.0
        assert body["status"] == "active"

    def test_a_goal_counts_from_its_creation(self, user, subject):
        log(user, subject, 100)
        goal = services.goal_create(user=user, title="Later", target_minutes=100)
        assert goal.logged_minutes == 0
        log(user, subject, 30)
        goal.refresh_from_db()
        assert goal.progress_percentage == 30.0

    def test_reaching_the_target_completes_the_goal(self, auth_client, user, subject, goal):
        log(user, subject, 600)
        body = auth_client.get(goal_url(goal.pk)).json()
        assert (body["status"], body["progress_percentage"]) == ("completed", 100.0)
        assert body["completed_at"] is not None

    def test_list_filters_and_ownership(self, auth_client, other_client, user, subject, goal):
        services.goal_create(user=user, title="Other", target_minutes=10)
        assert auth_client.get(GOALS).json()["count"] == 2
        by_subject = auth_client.get(GOALS, {"subject": subject.pk}).json()["results"]
        assert [item["id"] for item in by_subject] == [goal.pk]
        assert auth_client.get(GOALS, {"status": "abandoned"}).json()["count"] == 0
        assert other_client.get(GOALS).json()["count"] == 0

    def test_update_and_delete(self, auth_client, goal):
        response = auth_client.patch(goal_url(goal.pk), {"status": "abandoned"})
        assert response.status_code == 200
        assert response.json()["status"] == "abandoned"
        response = auth_client.put(goal_url(goal.pk), {"title": "Renamed", "target_minutes": 60})
        assert response.status_code == 200
        assert response.json()["title"] == "Renamed"
        assert auth_client.put(goal_url(goal.pk), {"title": "No target"}).status_code == 400
        assert auth_client.delete(goal_url(goal.pk)).status_code == 204
        assert not StudyGoal.objects.filter(pk=goal.pk).exists()

    def test_lowering_the_target_below_the_minutes_completes_it(
        self, auth_client, user, subject, goal
    ):
        log(user, subject, 100)
        body = auth_client.patch(goal_url(goal.pk), {"target_minutes": 50}).json()
        assert body["status"] == "completed"

    def test_subject_is_fixed_after_creation(self, auth_client, goal, subject):
        response = auth_client.patch(goal_url(goal.pk), {"subject_id": subject.pk})
        assert response.status_code == 400

    def test_another_users_goal_is_not_found(self, other_client, goal):
        for method in ("get", "put", "patch", "delete"):
            body = {"title": "x", "target_minutes": 5}
            response = getattr(other_client, method)(goal_url(goal.pk), body)
            assert response.status_code == 404, method
        assert StudyGoal.objects.filter(pk=goal.pk).exists()


class TestSettings:
    def test_defaults_are_created_on_first_access(self, auth_client, user):
        assert not StudySettings.objects.filter(user=user).exists()
        response = auth_client.get(SETTINGS)
        assert response.status_code == 200
        assert response.json() == {
            "daily_goal_minutes": 30,
            "preferred_difficulty": "beginner",
            "preferred_ai_provider": "local",
            "reminder_time": None,
            "pomodoro_minutes": 25,
            "desired_retention": 0.9,
            "new_cards_per_day": 20,
            "expected_daily_reviews": 0.0,  # no review cards yet
        }
        assert StudySettings.objects.filter(user=user).count() == 1

    def test_put_changes_the_given_fields(self, auth_client):
        response = auth_client.put(
            SETTINGS,
            {"daily_goal_minutes": 90, "reminder_time": "20:30", "preferred_ai_provider": "openai"},
        )
        assert response.status_code == 200
        body = response.json()
        assert (body["daily_goal_minutes"], body["reminder_time"]) == (90, "20:30:00")
        assert body["preferred_ai_provider"] == "openai"
        assert auth_client.get(SETTINGS).json()["pomodoro_minutes"] == 25

    @pytest.mark.parametrize(
        "body",
        [
            {"daily_goal_minutes": 0},
            {"daily_goal_minutes": 1441},
            {"preferred_difficulty": "expert"},
            {"preferred_ai_provider": "skynet"},
            {"pomodoro_minutes": 4},
            {"reminder_time": "25:00"},
            {"user": 1},
        ],
    )
    def test_validation(self, auth_client, body):
        response = auth_client.put(SETTINGS, body)
        assert response.status_code == 400
        assert set(response.json()["error"]["fields"]) == set(body)

    def test_preferred_provider_is_the_summary_default(self, auth_client, user, subject):
        services.study_settings_update(user=user, data={"preferred_ai_provider": "anthropic"})
        summary = services.summary_request(
            user=user, subject_id=subject.pk, content="x" * 80, summary_type="brief"
        )
        assert summary.requested_provider == "anthropic"
