"""User B aims every object endpoint at user A's ids: always 404, and A's rows stay as they were.

A creates one of everything through the API (private where a visibility flag exists) plus the
rows no learner endpoint creates (a notification, a review card, a payment). B then tries every
read, write and action. The only documented exception is a public quiz: visible to B, but writes
to it are 403 (tests/quiz/test_authoring_api.py), checked separately.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.db.models import Model
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from notifications.models import Device, Notification
from personalization.models import ReviewCard
from quiz.models import Choice, Question, Quiz, QuizAttempt, UserAnswer
from realtime.models import LearningSession, RoomMembership, RoomMessage, StudyRoom
from study.models import StudyGoal, StudyLog, StudyProgress, StudySummary, Subject
from subscription.models import CreditLedger, Payment
from tests.factories import UserFactory
from tests.security.conftest import assert_envelope, bearer_client

pytestmark = pytest.mark.django_db

WATCHED: tuple[type[Model], ...] = (
    Subject, StudySummary, StudyGoal, StudyProgress, StudyLog, Quiz, Question, Choice,
    QuizAttempt, UserAnswer, StudyRoom, RoomMembership, RoomMessage, LearningSession,
    Notification, Device, ReviewCard, Payment, CreditLedger,
)  # fmt: skip


def snapshot() -> dict[str, list[dict[str, Any]]]:
    return {m.__name__: list(m._default_manager.order_by("pk").values()) for m in WATCHED}


@dataclass
class Owned:
    subject: int
    summary: int
    goal: int
    quiz: int
    question: int
    choice: int
    attempt: int
    answer: int
    room: int
    session: str
    notification: int
    device_token: str
    card: int
    payment: int


def _created(response: Any) -> dict[str, Any]:
    assert response.status_code in (200, 201, 202), response.content[:500]
    return dict(response.json())


def _quiz_body(subject_id: int, *, public: bool) -> dict[str, Any]:
    choices = [{"text": "4", "is_correct": True}, {"text": "5", "is_correct": False}]
    question = {"question_type": "multiple_choice", "text": "2+2?", "choices": choices}
    essay = {"question_type": "essay", "text": "Explain addition."}
    return {
        "title": "Private arithmetic",
        "subject": subject_id,
        "is_public": public,
        "questions": [question, essay],
    }


def create_everything(a: APIClient, owner: User) -> Owned:
    subject = _created(a.post("/api/study/subjects/", {"name": "Secret", "is_public": False}))
    sid = subject["id"]
    summary = _created(
        a.post(
            "/api/study/generate-summary/",
            {"subject_id": sid, "content": "Cells divide. " * 20, "summary_type": "brief"},
        )
    )
    goal = _created(
        a.post("/api/study/goals/", {"subject_id": sid, "title": "Read", "target_minutes": 60})
    )
    _created(a.post("/api/study/progress/", {"subject_id": sid, "minutes": 15}))
    quiz = Quiz.objects.get(
        pk=_created(a.post("/api/quiz/quizzes/", _quiz_body(sid, public=False)))["id"]
    )
    question = quiz.questions.order_by("pk").first()
    assert question is not None
    choice = question.choices.order_by("pk").first()
    assert choice is not None
    essay = quiz.questions.order_by("pk").last()
    assert essay is not None
    attempt = _created(a.post(f"/api/quiz/quizzes/{quiz.pk}/attempts/"))
    _created(
        a.post(
            "/api/quiz/submit-answer/",
            {"attempt_id": attempt["id"], "question_id": essay.pk, "answer": "By counting."},
        )
    )
    answer = UserAnswer.objects.get(attempt_id=attempt["id"], question=essay)
    room = _created(a.post("/api/study/realtime/rooms/", {"name": "Den", "is_public": False}))
    session = _created(a.post("/api/study/realtime/learning/start_session/", {"subject_id": sid}))
    _created(a.post("/api/notifications/devices/", {"token": "tok-a", "platform": "web"}))
    now = timezone.now()
    notification = Notification.objects.create(user=owner, kind="system", title="t", body="b")
    card = ReviewCard.objects.create(
        user=owner, kind="concept", concept="cell", concept_key="cell", due=now
    )
    payment = Payment.objects.create(
        user=owner,
        currency="usd",
        total=999,
        amount_paid=999,
        paid_at=now,
        stripe_invoice_id="in_sec1",
    )
    return Owned(
        subject=sid, summary=summary["id"], goal=goal["id"], quiz=quiz.pk,
        question=question.pk, choice=choice.pk, attempt=attempt["id"], answer=answer.pk,
        room=room["id"], session=str(session["session_id"]), notification=notification.pk,
        device_token="tok-a", card=card.pk, payment=payment.pk,
    )  # fmt: skip


Probe = tuple[str, str, dict[str, Any] | None]
EVERY_METHOD = ("get", "put", "patch", "delete")


def probes(o: Owned) -> list[Probe]:
    """(method, path, body) for every object endpoint that takes an id in the path or body."""
    subject, goal, quiz, question = (
        f"/api/study/subjects/{o.subject}/", f"/api/study/goals/{o.goal}/",
        f"/api/quiz/quizzes/{o.quiz}/", f"/api/quiz/questions/{o.question}/",
    )  # fmt: skip
    room = f"/api/study/realtime/rooms/{o.room}/"
    attempt = f"/api/quiz/attempts/{o.attempt}/"
    return [
        *((m, subject, {"name": "Mine now"}) for m in ("get", "put", "patch", "delete")),
        ("get", f"/api/study/summaries/{o.summary}/", None),
        ("delete", f"/api/study/summaries/{o.summary}/", None),
        ("get", f"/api/study/summaries/{o.summary}/stream/", None),
        *((m, goal, {"title": "Mine", "target_minutes": 5}) for m in EVERY_METHOD),
        ("post", "/api/study/progress/", {"subject_id": o.subject, "minutes": 5}),
        ("post", "/api/study/goals/", {"subject_id": o.subject, "title": "x", "target_minutes": 5}),
        ("post", "/api/study/generate-summary/",
         {"subject_id": o.subject, "content": "x " * 50, "summary_type": "brief"}),
        ("post", f"/api/cqrs/subjects/{o.subject}/generate_summary/",
         {"content": "x " * 50, "summary_type": "brief"}),
        *((m, quiz, {"title": "Mine now"}) for m in ("get", "put", "patch", "delete")),
        ("get", f"{quiz}analytics/", None),
        ("post", f"{quiz}attempts/", None),
        ("post", "/api/quiz/questions/",
         {"quiz": o.quiz, "question_type": "essay", "text": "Injected?"}),
        *((m, question, {"text": "Mine", "question_type": "essay"}) for m in EVERY_METHOD),
        ("get", attempt, None),
        ("post", f"{attempt}finish/", None),
        ("get", f"{attempt}next_question/", None),
        ("post", "/api/quiz/submit-answer/",
         {"attempt_id": o.attempt, "question_id": o.question, "answer": o.choice}),
        ("post", f"/api/quiz/answers/{o.answer}/grade/", {"score": 1, "feedback": "ok"}),
        ("post", "/api/quiz/quizzes/generate/",
         {"subject_id": o.subject, "source_text": "x " * 50, "num_questions": 1,
          "question_types": ["multiple_choice"], "difficulty": "easy"}),
        ("get", room, None),
        ("delete", room, None),
        ("post", f"{room}join/", None),
        ("post", f"{room}leave/", None),
        ("post", f"{room}invite/", {"email": "someone@example.com"}),
        ("get", f"{room}messages/", None),
        ("post", f"{room}rotate_invite_code/", None),
        ("post", "/api/study/realtime/rooms/", {"name": "x", "subject_id": o.subject}),
        ("post", "/api/study/realtime/learning/start_session/", {"subject_id": o.subject}),
        ("get", f"/api/study/realtime/learning/session_status/?session_id={o.session}", None),
        ("post", "/api/study/realtime/learning/end_session/", {"session_id": o.session}),
        ("get", f"/api/personalization/adaptive_difficulty/?subject_id={o.subject}", None),
        ("post", "/api/personalization/update_pattern/",
         {"activity_type": "study", "content_type": "text", "duration_minutes": 5,
          "subject_id": o.subject}),
        ("post", f"/api/personalization/reviews/{o.card}/", {"rating": "good"}),
        ("post", f"/api/notifications/{o.notification}/read/", None),
        ("delete", f"/api/notifications/devices/?token={o.device_token}", None),
        ("get", f"/api/subscription/payments/{o.payment}/receipt/", None),
        ("get", f"/api/subscription/payments/{o.payment}/receipt.html", None),
    ]  # fmt: skip


@pytest.fixture
def owner() -> User:
    return UserFactory.create()


@pytest.fixture
def intruder() -> User:
    return UserFactory.create()


def test_every_object_endpoint_hides_another_learners_objects(owner: User, intruder: User) -> None:
    a = bearer_client(owner)
    owned = create_everything(a, owner)
    reads = [path for method, path, _body in probes(owned) if method == "get"]
    # The ids are real: the owner finds every one of them (a fixed attempt's next question
    # is a 409 conflict for the owner too).
    assert [p for p in reads if a.get(p).status_code not in (200, 409)] == []
    b = bearer_client(intruder)
    before = snapshot()
    wrong = []
    for method, path, body in probes(owned):
        response = getattr(b, method)(path, body, format="json")
        if response.status_code != 404 or response.json()["error"]["code"] != "not_found":
            wrong.append((method.upper(), path, response.status_code, response.content[:200]))
    assert not wrong, "\n".join(map(str, wrong))
    assert snapshot() == before


def test_lists_of_the_intruder_show_none_of_the_owners_rows(owner: User, intruder: User) -> None:
    owned = create_everything(bearer_client(owner), owner)
    b = bearer_client(intruder)
    lists = [
        "/api/study/subjects/", "/api/study/summaries/", "/api/study/goals/",
        "/api/study/progress/", "/api/quiz/quizzes/", "/api/quiz/questions/",
        "/api/quiz/results/", "/api/study/realtime/rooms/", "/api/notifications/",
        "/api/notifications/devices/", "/api/personalization/reviews/due/",
        "/api/subscription/payments/", "/api/study/realtime/learning/active_sessions/",
    ]  # fmt: skip
    for path in lists:
        response = b.get(path)
        assert response.status_code == 200, (path, response.content[:300])
        text = response.content.decode()
        for marker in ("Secret", "Private arithmetic", "Den", "tok-a", owned.session):
            assert marker not in text, (path, marker)


def test_a_public_quiz_is_visible_but_only_its_owner_writes_it(owner: User, intruder: User) -> None:
    a, b = bearer_client(owner), bearer_client(intruder)
    sid = _created(a.post("/api/study/subjects/", {"name": "Open", "is_public": True}))["id"]
    quiz_id = _created(a.post("/api/quiz/quizzes/", _quiz_body(sid, public=True)))["id"]
    url = f"/api/quiz/quizzes/{quiz_id}/"
    assert b.get(url).status_code == 200
    before = snapshot()
    assert_envelope(b.patch(url, {"title": "Mine"}, format="json"), 403, "permission_denied")
    assert_envelope(b.put(url, {"title": "Mine"}, format="json"), 403, "permission_denied")
    assert_envelope(b.delete(url), 403, "permission_denied")
    assert_envelope(b.get(f"{url}analytics/"), 404, "not_found")
    assert snapshot() == before
