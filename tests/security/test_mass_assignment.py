"""A learner cannot write the fields that decide privileges, ownership, money or grades: the
request is refused (strict input: 400, or 405 where no write exists) or the field is ignored,
and the database keeps its value either way."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from quiz.models import Quiz, UserAnswer
from realtime.models import StudyRoom
from study.models import Subject
from subscription.models import CreditBalance, CreditLedger, UserSubscription
from tests.security.conftest import assert_envelope, bearer_client

pytestmark = pytest.mark.django_db

REFUSED = {400, 405}


def refused_or_ignored(response: Any) -> None:
    if response.status_code >= 300:
        assert response.status_code in REFUSED, (response.status_code, response.content[:300])
        assert_envelope(response, response.status_code)


@pytest.fixture
def client(user: User) -> APIClient:
    return bearer_client(user)


@pytest.mark.parametrize(
    "field", ["is_staff", "is_superuser", "email_verified", "is_active", "id", "date_joined"]
)
@pytest.mark.parametrize("method", ["put", "patch"])
def test_profile_cannot_raise_privileges(
    client: APIClient, user: User, field: str, method: str
) -> None:
    before = User.objects.filter(pk=user.pk).values().get()
    value: Any = (
        999 if field == "id" else ("2000-01-01T00:00:00Z" if field == "date_joined" else True)
    )
    body = {"first_name": "Min", field: value}
    refused_or_ignored(getattr(client, method)("/api/auth/profile/", body, format="json"))
    after = User.objects.filter(pk=user.pk).values().get()
    for kept in ("is_staff", "is_superuser", "email_verified", "is_active", "date_joined"):
        assert after[kept] == before[kept]


def test_registration_cannot_create_a_staff_user(api_client: APIClient) -> None:
    body = {
        "email": "new@example.com", "username": "newbie", "password": "Correct-Horse-42!",
        "is_staff": True, "is_superuser": True, "email_verified": True,
    }  # fmt: skip
    refused_or_ignored(api_client.post("/api/auth/register/", body, format="json"))
    created = User.objects.filter(email="new@example.com").first()
    assert created is None or not (
        created.is_staff or created.is_superuser or created.email_verified
    )


def test_subject_owner_cannot_be_chosen(client: APIClient, user: User, other_user: User) -> None:
    body = {"name": "Mine", "created_by": other_user.pk, "owner": other_user.pk}
    refused_or_ignored(client.post("/api/study/subjects/", body, format="json"))
    assert not Subject.objects.filter(created_by=other_user).exists()
    subject = Subject.objects.create(name="Own", created_by=user)
    patch = {"created_by": other_user.pk}
    refused_or_ignored(client.patch(f"/api/study/subjects/{subject.pk}/", patch, format="json"))
    subject.refresh_from_db()
    assert subject.created_by_id == user.pk


def test_quiz_owner_cannot_be_chosen(client: APIClient, user: User, other_user: User) -> None:
    body = {"title": "Q", "owner": other_user.pk, "created_by": other_user.pk}
    refused_or_ignored(client.post("/api/quiz/quizzes/", body, format="json"))
    assert not Quiz.objects.filter(owner=other_user).exists()
    quiz_id = client.post("/api/quiz/quizzes/", {"title": "Q"}, format="json").json()["id"]
    url = f"/api/quiz/quizzes/{quiz_id}/"
    refused_or_ignored(client.patch(url, {"owner": other_user.pk}, format="json"))
    assert Quiz.objects.get(pk=quiz_id).owner_id == user.pk


def test_room_owner_cannot_be_chosen(client: APIClient, other_user: User) -> None:
    body = {"name": "Den", "owner": other_user.pk, "created_by": other_user.pk}
    refused_or_ignored(client.post("/api/study/realtime/rooms/", body, format="json"))
    assert not StudyRoom.objects.filter(owner=other_user).exists()


def _credit_state(user: User) -> tuple[Any, ...]:
    balances = tuple(CreditBalance.objects.filter(user=user).values_list())
    return balances, CreditLedger.objects.filter(user=user).count()


@pytest.mark.parametrize("method", ["post", "put", "patch"])
def test_no_endpoint_writes_credits(client: APIClient, user: User, method: str) -> None:
    shown = client.get("/api/subscription/credits/").json()["balance"]
    before = _credit_state(user)
    for path in ("/api/subscription/credits/", "/api/subscription/current/"):
        body = {"balance": 10**6, "credits": 10**6, "monthly_allowance": 10**6}
        refused_or_ignored(getattr(client, method)(path, body, format="json"))
    assert _credit_state(user) == before
    assert client.get("/api/subscription/credits/").json()["balance"] == shown


@pytest.mark.parametrize("method", ["post", "put", "patch"])
def test_subscription_plan_and_status_are_not_writable(
    client: APIClient, user: User, method: str
) -> None:
    body = {"plan": 1, "plan_id": 1, "status": "active"}
    response = getattr(client, method)("/api/subscription/current/", body, format="json")
    assert_envelope(response, 405, "method_not_allowed")
    assert not UserSubscription.objects.filter(user=user).exists()


def test_an_answer_cannot_grade_itself(client: APIClient, user: User) -> None:
    choices = [{"text": "4", "is_correct": True}, {"text": "5", "is_correct": False}]
    quiz = client.post(
        "/api/quiz/quizzes/",
        {"title": "Sums", "is_public": True,
         "questions": [{"question_type": "multiple_choice", "text": "2+2?", "choices": choices}]},
        format="json",
    ).json()  # fmt: skip
    stored = Quiz.objects.get(pk=quiz["id"])
    question = stored.questions.get()
    wrong = question.choices.get(is_correct=False)
    attempt = client.post(f"/api/quiz/quizzes/{stored.pk}/attempts/").json()
    body = {
        "attempt_id": attempt["id"], "question_id": question.pk, "answer": wrong.pk,
        "is_correct": True, "score": 100, "points_awarded": 100,
    }  # fmt: skip
    refused_or_ignored(client.post("/api/quiz/submit-answer/", body, format="json"))
    answer = UserAnswer.objects.filter(attempt_id=attempt["id"]).first()
    assert answer is None or answer.is_correct is False
    finish = {"score": 100, "percentage": 100, "passed": True}
    refused_or_ignored(
        client.post(f"/api/quiz/attempts/{attempt['id']}/finish/", finish, format="json")
    )
    result = client.get(f"/api/quiz/attempts/{attempt['id']}/").json()
    assert result.get("passed") is not True
    assert result.get("percentage") in (None, 0, 0.0)
