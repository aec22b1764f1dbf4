"""HTTP semantics of API.md's Conventions: `Location` on every 201 and 202, PATCH wherever PUT
is, and the names a response uses accepted on writes."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from accounts.models import User
from quiz.models import Question, Quiz
from realtime.models import LearningSession
from study.models import StudyGoal, StudyProgress, StudySummary, Subject
from tests.conftest import signed_in_client
from tests.factories import UserFactory
from tests.standins.fixtures import ai_isolated  # noqa: F401 - a fixture
from tests.study.conftest import ENGLISH_TEXT
from tests.study.factories import SubjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def learner() -> User:
    return UserFactory.create()


@pytest.fixture
def client(learner: User) -> APIClient:
    return signed_in_client(learner)


@pytest.fixture
def subject(learner: User) -> Subject:
    return SubjectFactory.create(created_by=learner, name="History")


def _quiz(client: APIClient, **fields: Any) -> dict[str, Any]:
    body = {
        "title": "Capitals",
        "questions": [
            {
                "question_type": "short_answer",
                "text": "Capital of Korea?",
                "accepted_answers": ["Seoul"],
            }
        ],
        **fields,
    }
    response = client.post("/api/quiz/quizzes/", body, format="json")
    assert response.status_code == 201, response.content
    return dict(response.json())


# --- Location -----------------------------------------------------------------------------------

Create = Callable[[APIClient, Subject], Any]

CREATES: dict[str, tuple[str, Create]] = {
    "subject": (
        "/api/study/subjects/{id}/",
        lambda c, s: c.post("/api/study/subjects/", {"name": "Chemistry"}),
    ),
    "summary": (
        "/api/study/summaries/{id}/",
        lambda c, s: c.post(
            "/api/study/generate-summary/",
            {"subject_id": s.pk, "content": ENGLISH_TEXT, "summary_type": "brief"},
            format="json",
        ),
    ),
    "progress": (
        "/api/study/progress/{subject}/",
        lambda c, s: c.post("/api/study/progress/", {"subject_id": s.pk, "minutes": 20}),
    ),
    "goal": (
        "/api/study/goals/{id}/",
        lambda c, s: c.post("/api/study/goals/", {"title": "Read", "target_minutes": 60}),
    ),
    "cqrs subject": (
        "/api/study/subjects/{id}/",
        lambda c, s: c.post("/api/cqrs/subjects/", {"name": "Physics"}),
    ),
    "cqrs summary": (
        "/api/study/summaries/{id}/",
        lambda c, s: c.post(
            f"/api/cqrs/subjects/{s.pk}/generate_summary/",
            {"content": ENGLISH_TEXT, "summary_type": "brief"},
            format="json",
        ),
    ),
    "cqrs progress": (
        "/api/study/progress/{subject}/",
        lambda c, s: c.post("/api/cqrs/study-progress/", {"subject_id": s.pk, "minutes": 5}),
    ),
    "quiz": (
        "/api/quiz/quizzes/{id}/",
        lambda c, s: c.post("/api/quiz/quizzes/", {"title": "Dates"}, format="json"),
    ),
    "generated quiz": (
        "/api/quiz/quizzes/{id}/",
        lambda c, s: c.post(
            "/api/quiz/quizzes/generate/",
            {"subject_id": s.pk, "source_text": ENGLISH_TEXT, "num_questions": 2},
            format="json",
        ),
    ),
    "question": (
        "/api/quiz/questions/{id}/",
        lambda c, s: c.post(
            "/api/quiz/questions/",
            {
                "quiz": _quiz(c)["id"],
                "question_type": "short_answer",
                "text": "Capital of Japan?",
                "accepted_answers": ["Tokyo"],
            },
            format="json",
        ),
    ),
    "attempt": (
        "/api/quiz/attempts/{id}/",
        lambda c, s: c.post(f"/api/quiz/quizzes/{_quiz(c)['id']}/attempts/", {}, format="json"),
    ),
    "room": (
        "/api/study/realtime/rooms/{id}/",
        lambda c, s: c.post("/api/study/realtime/rooms/", {"name": "Night owls"}),
    ),
    "room invitation": (
        "/api/study/realtime/rooms/{room}/",
        lambda c, s: _invite(c),
    ),
    "learning session": (
        "/api/study/realtime/learning/session_status/?session_id={session_id}",
        lambda c, s: c.post("/api/study/realtime/learning/start_session/", {"subject_id": s.pk}),
    ),
    "device": (
        "/api/notifications/devices/",
        lambda c, s: c.post(
            "/api/notifications/devices/", {"token": "fcm-token-1", "platform": "android"}
        ),
    ),
}


def _invite(client: APIClient) -> Any:
    room = client.post("/api/study/realtime/rooms/", {"name": "Invites"}).json()
    response = client.post(
        f"/api/study/realtime/rooms/{room['id']}/invite/", {"email": "friend@example.com"}
    )
    response.room_id = room["id"]  # type: ignore[attr-defined]
    return response


@pytest.mark.parametrize("name", list(CREATES))
def test_every_201_and_202_points_at_what_it_made(name, client, subject, ai_isolated):  # noqa: F811
    expected, create = CREATES[name]
    response = create(client, subject)
    assert response.status_code in (201, 202), response.content
    body = response.json()
    values = {
        "id": body.get("id"),
        "subject": body.get("subject"),
        "session_id": body.get("session_id"),
        "room": getattr(response, "room_id", None),
    }
    assert response["Location"] == f"http://testserver{expected.format(**values)}"
    followed = client.get(response["Location"])
    assert followed.status_code == 200, followed.content


def test_registration_points_at_the_new_account(api_client):
    body = {"email": "new@example.com", "password": "a-long-passphrase", "username": "newbie"}
    response = api_client.post("/api/auth/register/", body, format="json")
    assert response.status_code == 201
    assert response["Location"] == "http://testserver/api/auth/profile/"
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    followed = api_client.get(response["Location"])
    assert followed.status_code == 200
    assert followed.json()["email"] == "new@example.com"


def test_location_follows_the_request_host_and_scheme(client, settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "api.example.test"]
    response = client.post(
        "/api/study/subjects/",
        {"name": "Music"},
        HTTP_HOST="api.example.test",
        HTTP_X_FORWARDED_PROTO="https",
    )
    assert (
        response["Location"]
        == f"https://api.example.test/api/study/subjects/{response.json()['id']}/"
    )


def test_a_known_device_is_200_without_location(client):
    body = {"token": "fcm-token-2", "platform": "ios"}
    assert client.post("/api/notifications/devices/", body).status_code == 201
    again = client.post("/api/notifications/devices/", body)
    assert again.status_code == 200
    assert "Location" not in again


def _view_modules() -> list[Path]:
    root = Path(settings.BASE_DIR)  # type: ignore[misc]
    names = ("apis.py", "learning_apis.py", "room_apis.py")
    found = [path for name in names for path in root.glob(f"*/{name}")]
    found += list(root.glob("*/apis/*.py")) + list(root.glob("*/*/apis.py"))
    return sorted(set(found))


def test_every_created_or_accepted_response_in_the_code_sets_headers():
    """Beyond the walk above: a view added later that answers 201/202 without `headers=` (the
    `location(...)` of what it made) fails here."""
    missing = []
    for path in _view_modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Response"):
                continue
            keywords = {keyword.arg: keyword.value for keyword in node.keywords}
            code = ast.unparse(keywords.get("status", ast.Constant(200)))
            if ("201" in code or "202" in code) and "headers" not in keywords:
                missing.append(f"{path.name}:{node.lineno}")
    assert _view_modules()
    assert missing == []


# --- PATCH wherever PUT -------------------------------------------------------------------------


def _views(patterns: list[URLPattern | URLResolver]) -> list[tuple[str, Any]]:
    found = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            found += _views(pattern.url_patterns)
        else:
            view = getattr(pattern.callback, "view_class", None) or getattr(
                pattern.callback, "cls", None
            )
            if view is not None:
                found.append((str(pattern.pattern), view))
    return found


def test_every_view_with_put_has_patch():
    views = _views(get_resolver().url_patterns)
    with_put = [(route, view) for route, view in views if hasattr(view, "put")]
    assert len(with_put) >= 7
    assert [route for route, view in with_put if not hasattr(view, "patch")] == []


def test_study_settings_take_patch_with_a_partial_body(client):
    before = client.get("/api/study/settings/").json()
    response = client.patch("/api/study/settings/", {"pomodoro_minutes": 45}, format="json")
    assert response.status_code == 200
    assert response.json() == {**before, "pomodoro_minutes": 45}
    put = client.put("/api/study/settings/", {"daily_goal_minutes": 90}, format="json")
    assert put.json() == {**before, "pomodoro_minutes": 45, "daily_goal_minutes": 90}


def test_notification_preferences_take_patch_with_a_partial_body(client):
    before = client.get("/api/notifications/preferences/").json()
    response = client.patch(
        "/api/notifications/preferences/", {"push_enabled": False}, format="json"
    )
    assert response.status_code == 200
    assert response.json() == {**before, "push_enabled": False}
    bad = client.patch("/api/notifications/preferences/", {"is_staff": True}, format="json")
    assert bad.status_code == 400
    assert list(bad.json()["error"]["fields"]) == ["is_staff"]


# --- read names on writes -----------------------------------------------------------------------


def test_goals_take_subject_as_an_id_or_as_the_object(client, subject):
    by_id = client.post(
        "/api/study/goals/", {"subject": subject.pk, "title": "A", "target_minutes": 30}
    )
    assert by_id.status_code == 201, by_id.content
    assert by_id.json()["subject"] == subject.pk
    as_read = {"id": subject.pk, "name": "History"}
    by_object = client.post(
        "/api/study/goals/",
        {"subject": as_read, "title": "B", "target_minutes": 30},
        format="json",
    )
    assert by_object.json()["subject"] == subject.pk
    old_name = client.post(
        "/api/study/goals/", {"subject_id": subject.pk, "title": "C", "target_minutes": 30}
    )
    assert old_name.json()["subject"] == subject.pk
    assert StudyGoal.objects.filter(subject=subject).count() == 3


def test_progress_takes_subject(client, subject):
    response = client.post("/api/study/progress/", {"subject": subject.pk, "minutes": 15})
    assert response.status_code == 201, response.content
    assert StudyProgress.objects.get(subject=subject).total_study_minutes == 15


def test_summaries_take_subject(client, subject):
    body = {"subject": subject.pk, "content": ENGLISH_TEXT, "summary_type": "brief"}
    response = client.post("/api/study/generate-summary/", body, format="json")
    assert response.status_code == 202, response.content
    assert StudySummary.objects.get(pk=response.json()["id"]).subject_id == subject.pk


def test_one_of_the_two_names_is_required_and_both_must_agree(client, subject):
    missing = client.post("/api/study/progress/", {"minutes": 15})
    assert missing.status_code == 400
    assert list(missing.json()["error"]["fields"]) == ["subject_id"]
    other = SubjectFactory.create()
    both = client.post(
        "/api/study/progress/", {"subject_id": subject.pk, "subject": other.pk, "minutes": 15}
    )
    assert both.status_code == 400
    assert list(both.json()["error"]["fields"]) == ["subject"]
    same = client.post(
        "/api/study/progress/", {"subject_id": subject.pk, "subject": subject.pk, "minutes": 15}
    )
    assert same.status_code == 201
    no_id = client.post(
        "/api/study/progress/", {"subject": {"name": "History"}, "minutes": 15}, format="json"
    )
    assert no_id.status_code == 400
    assert list(no_id.json()["error"]["fields"]) == ["subject"]


def test_quizzes_take_subject_and_subject_id_on_create_and_update(client, subject, learner):
    created = _quiz(client, subject=subject.pk)
    assert created["subject"] == subject.pk
    also = _quiz(client, subject_id=subject.pk)
    assert also["subject"] == subject.pk
    other = SubjectFactory.create(created_by=learner)
    patched = client.patch(
        f"/api/quiz/quizzes/{created['id']}/", {"subject_id": other.pk}, format="json"
    )
    assert patched.status_code == 200, patched.content
    assert patched.json()["subject"] == other.pk
    cleared = client.patch(f"/api/quiz/quizzes/{created['id']}/", {"subject": None}, format="json")
    assert cleared.json()["subject"] is None
    assert Quiz.objects.get(pk=created["id"]).subject_id is None


def test_quiz_generation_takes_subject(client, subject, ai_isolated):  # noqa: F811
    body = {"subject": subject.pk, "source_text": ENGLISH_TEXT, "num_questions": 2}
    response = client.post("/api/quiz/quizzes/generate/", body, format="json")
    assert response.status_code == 202, response.content
    assert response.json()["subject"] == subject.pk


def test_questions_take_quiz_and_quiz_id(client):
    quiz = _quiz(client)
    for name in ("quiz", "quiz_id"):
        body = {
            name: quiz["id"],
            "question_type": "short_answer",
            "text": f"Asked as {name}",
            "accepted_answers": ["yes"],
        }
        response = client.post("/api/quiz/questions/", body, format="json")
        assert response.status_code == 201, response.content
        assert response.json()["quiz"] == quiz["id"]
    assert Question.objects.filter(quiz_id=quiz["id"]).count() == 3


def test_rooms_take_the_subject_object_a_room_shows(client, subject):
    first = client.post(
        "/api/study/realtime/rooms/", {"name": "A", "subject_id": subject.pk}, format="json"
    ).json()
    assert first["subject"] == {"id": subject.pk, "name": "History"}
    # What the client read, sent back as is.
    second = client.post(
        "/api/study/realtime/rooms/", {"name": "B", "subject": first["subject"]}, format="json"
    )
    assert second.status_code == 201, second.content
    assert second.json()["subject"] == first["subject"]


def test_learning_sessions_take_subject(client, subject):
    response = client.post(
        "/api/study/realtime/learning/start_session/", {"subject": subject.pk}, format="json"
    )
    assert response.status_code == 201, response.content
    assert LearningSession.objects.get(pk=response.json()["session_id"]).subject_id == subject.pk


def test_study_patterns_take_subject(client, subject):
    body = {
        "activity_type": "study",
        "content_type": "video",
        "duration_minutes": 20,
        "subject": subject.pk,
    }
    response = client.post("/api/personalization/update_pattern/", body, format="json")
    assert response.status_code in (200, 201), response.content


def test_both_names_are_documented_and_neither_is_required():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]
    progress = next(v for k, v in components.items() if k.startswith("ProgressLogInput"))
    assert {"subject", "subject_id"} <= set(progress["properties"])
    assert not {"subject", "subject_id"} & set(progress.get("required", []))
    assert (
        "One of `subject_id` and `subject` is required"
        in progress["properties"]["subject"]["description"]
    )
