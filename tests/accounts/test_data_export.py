"""Data export over the HTTP API: POST /api/auth/account/export/ asks, a Celery task (in
process) builds a zip of everything the account owns in every app, the learner is notified (in
the inbox and over real SMTP), GET .../{id}/ tells the state, and the signed link serves the zip
without the Authorization header until it expires; then the sweep deletes the file."""

from __future__ import annotations

import csv
import datetime
import io
import json
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.data_export import data_export_sections
from accounts.models import LoginHistory, User
from accounts.models.lifecycle import DataExport
from accounts.services.export import data_export_build
from accounts.tasks import sweep_data_exports
from notifications.models import Device, Notification, NotificationPreference
from personalization.models import (
    LearnerAbility,
    LearnerProfile,
    LearnerSkillState,
    ReviewCard,
    ReviewLog,
)
from quiz.models import Choice, Question, Quiz, QuizAttempt, UserAnswer
from realtime.models import LearningSession, RoomMembership, RoomMessage, StudyRoom
from study.models import StudyGoal, StudyLog, StudyProgress, StudySettings, StudySummary, Subject
from subscription.models import (
    CreditLedger,
    Discount,
    DiscountRedemption,
    Payment,
    SubscriptionPlan,
    UserSubscription,
)
from tests.conftest import signed_in_client
from tests.factories import UserFactory
from tests.mailserver import Mailbox

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("celery_in_process")]

EXPORT = "/api/auth/account/export/"
EVERY_SECTION = (
    "accounts",
    "study",
    "quiz",
    "personalization",
    "realtime",
    "notifications",
    "subscription",
)


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> Path:
    """The default storage writes under a directory of this test's own."""
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.fixture
def hooks(django_capture_on_commit_callbacks: Callable[..., Any]) -> Callable[[], Any]:
    """What waits for the commit (the build, the event's subscribers, the deliveries) runs."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


# --- a learner who used every feature -----------------------------------------------------------


def _fill(user: User, tag: str) -> None:
    """Rows in every app, each text carrying `tag` so a file can be searched for it."""
    now = timezone.now()
    subject = Subject.objects.create(name=f"{tag} subject", created_by=user)
    StudySummary.objects.create(
        subject=subject, user=user, content=f"{tag} material", summary=f"{tag} summary",
        summary_type="brief", status="completed", title=f"{tag} title",
    )  # fmt: skip
    StudyProgress.objects.create(
        user=user, subject=subject, total_study_minutes=95, sessions_count=3, streak_days=2
    )
    StudyLog.objects.create(
        user=user, subject=subject, minutes=30, topics_covered=[f"{tag} topic"],
        studied_at=now, local_date=now.date(),
    )  # fmt: skip
    StudyGoal.objects.create(user=user, subject=subject, title=f"{tag} goal", target_minutes=60)
    StudySettings.objects.create(user=user, daily_goal_minutes=45)
    quiz = Quiz.objects.create(title=f"{tag} quiz", owner=user, subject=subject)
    question = Question.objects.create(
        quiz=quiz, question_type="multiple_choice", text=f"{tag} question?"
    )
    choice = Choice.objects.create(question=question, text=f"{tag} choice", is_correct=True)
    attempt = QuizAttempt.objects.create(
        user=user, quiz=quiz, started_at=now, finished_at=now, score=1, max_score=1
    )
    UserAnswer.objects.create(
        attempt=attempt, question=question, answer=choice.pk, is_correct=True, score=1,
        feedback=f"{tag} feedback",
    )  # fmt: skip
    LearnerProfile.objects.create(user=user, observations=4, style_weights={"visual": 1.5})
    LearnerAbility.objects.create(user=user, subject=subject, ability=0.7, n=4)
    LearnerSkillState.objects.create(user=user, skill=f"{tag} skill", ability=0.3)
    card = ReviewCard.objects.create(
        user=user, kind="concept", subject=subject, concept=f"{tag} concept",
        concept_key=f"{tag} concept", due=now,
    )  # fmt: skip
    ReviewLog.objects.create(
        card=card, rating=3, state_before=1, reviewed_at=now, scheduled_due=now,
        desired_retention=0.9,
    )  # fmt: skip
    LearningSession.objects.create(
        user=user, subject=subject, status="ended", started_at=now, ended_at=now,
        feedback=[f"{tag} session feedback"],
    )  # fmt: skip
    room = StudyRoom.objects.create(name=f"{tag} room", owner=user)
    RoomMembership.objects.create(room=room, user=user)
    RoomMessage.objects.create(room=room, author=user, body=f"{tag} hello")
    Notification.objects.create(user=user, kind="announcement", title=f"{tag} news", body="b")
    NotificationPreference.objects.create(user=user, phone_number="+821012345678")
    Device.objects.create(user=user, token=f"{tag}-push-token", platform="android", last_seen=now)
    plan = SubscriptionPlan.objects.create(code=f"{tag.lower()}-pro", name=f"{tag} Pro")
    UserSubscription.objects.create(
        user=user, plan=plan, status="active", stripe_subscription_id=f"sub_{tag}"
    )
    Payment.objects.create(
        user=user, plan=plan, stripe_invoice_id=f"in_{tag}", invoice_number=f"{tag}-0001",
        currency="krw", total=9900, amount_paid=9900, paid_at=now,
    )  # fmt: skip
    CreditLedger.objects.create(
        user=user, delta=100, reason="top_up", reference=f"{tag} top-up",
        idempotency_key=f"{tag}-ledger", balance_after=100,
    )  # fmt: skip
    discount = Discount.objects.create(code=f"{tag}-PROMO", percent_off=10)
    DiscountRedemption.objects.create(
        discount=discount, user=user, stripe_checkout_session_id=f"cs_{tag}"
    )


@pytest.fixture
def learner() -> User:
    user = UserFactory.create(first_name="Minji", email="minji@example.com")
    _fill(user, "MINE")
    return user


@pytest.fixture
def stranger() -> User:
    user = UserFactory.create(first_name="Other", email="other@example.com")
    _fill(user, "THEIRS")
    return user


@pytest.fixture
def client(learner: User) -> APIClient:
    return signed_in_client(learner)  # a real login: login history and a sign-in


def _export(client: APIClient, hooks: Callable[[], Any], **headers: Any) -> Any:
    with hooks():
        return client.post(EXPORT, **headers)


def _download(url: str) -> Any:
    """The link opened as from an email: a client without credentials."""
    return APIClient().get(url)


def _zip(response: Any) -> zipfile.ZipFile:
    body = b"".join(response.streaming_content)
    response.close()
    return zipfile.ZipFile(io.BytesIO(body))


def _csv_rows(archive: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    text = archive.read(name).decode("utf-8")
    assert text.startswith("\ufeff")  # spreadsheets read the UTF-8 as such
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


# --- the whole journey --------------------------------------------------------------------------


def test_every_app_is_registered_as_a_section() -> None:
    assert [section.name for section in data_export_sections.sections()] == [
        "accounts",
        "study",
        "quiz",
        "subscription",
        "notifications",
        "personalization",
        "realtime",
    ]


def test_a_learner_exports_everything_they_own_and_nothing_of_anyone_else(
    client: APIClient, learner: User, stranger: User, hooks: Any
) -> None:
    response = _export(client, hooks)
    assert response.status_code == 202, response.content
    body = response.json()
    assert set(body) >= {"id", "status"}
    assert response["Location"] == f"http://testserver{EXPORT}{body['id']}/"

    state = client.get(response["Location"])
    assert state.status_code == 200
    state_body = state.json()
    assert state_body["status"] == "ready"
    assert state_body["download_url"].startswith("http://testserver/api/auth/account/export/")
    expires_at = datetime.datetime.fromisoformat(state_body["expires_at"])
    assert expires_at - timezone.now() > datetime.timedelta(days=6, hours=23)

    download = _download(state_body["download_url"])
    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    assert download["Content-Disposition"].startswith('attachment; filename="studymate-data-')
    archive = _zip(download)
    names = set(archive.namelist())
    assert {f"{name}.json" for name in EVERY_SECTION} <= names
    assert {"manifest.json", "study_progress.csv", "quiz_answers.csv"} <= names

    # Nothing of the other learner, anywhere; something of the learner in every file.
    for name in names:
        text = archive.read(name).decode("utf-8")
        assert "THEIRS" not in text, name
        assert "other@example.com" not in text, name
    data = {name: json.loads(archive.read(f"{name}.json")) for name in EVERY_SECTION}
    accounts = data["accounts"]
    assert accounts["account"][0]["email"] == "minji@example.com"
    assert accounts["profile"][0]["timezone"] == "Asia/Seoul"
    assert accounts["login_history"][0]["success"] is True
    assert len(accounts["sign_ins"]) == 1
    assert "password" not in json.dumps(accounts["account"])
    assert data["study"]["summaries"][0]["content"] == "MINE material"
    assert data["study"]["goals"][0]["title"] == "MINE goal"
    assert data["study"]["settings"][0]["daily_goal_minutes"] == 45
    assert data["quiz"]["quizzes"][0]["title"] == "MINE quiz"
    assert data["quiz"]["answers"][0]["feedback"] == "MINE feedback"
    assert data["personalization"]["skills"][0]["skill"] == "MINE skill"
    assert len(data["personalization"]["review_logs"]) == 1
    assert data["realtime"]["room_messages"][0]["body"] == "MINE hello"
    assert data["realtime"]["learning_sessions"][0]["feedback"] == ["MINE session feedback"]
    inbox = {row["title"] for row in data["notifications"]["notifications"]}
    assert "MINE news" in inbox
    assert data["notifications"]["devices"][0]["token"] == "MINE-push-token"
    subscription = data["subscription"]
    assert subscription["subscriptions"][0]["plan_name"] == "MINE Pro"
    assert subscription["payments"][0]["invoice_number"] == "MINE-0001"
    assert subscription["credit_ledger"][0]["reference"] == "MINE top-up"
    assert subscription["promo_codes"][0]["code"] == "MINE-PROMO"

    (progress,) = _csv_rows(archive, "study_progress.csv")
    assert progress["subject_name"] == "MINE subject"
    assert progress["total_study_minutes"] == "95"
    (answer,) = _csv_rows(archive, "quiz_answers.csv")
    assert answer["question_text"] == "MINE question?"
    assert answer["is_correct"] == "true"
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["user_id"] == learner.pk
    assert manifest["sections"] == [section.name for section in data_export_sections.sections()]


def test_the_learner_is_told_in_the_inbox_and_by_email(
    client: APIClient,
    learner: User,
    hooks: Any,
    mailbox: Mailbox,
) -> None:
    learner.profile.preferred_language = "en"
    learner.profile.save(update_fields=["preferred_language"])
    export_id = _export(client, hooks).json()["id"]
    notification = Notification.objects.get(user=learner, kind="data_export_ready")
    url = notification.data["download_url"]
    assert url.startswith("http://testserver/api/auth/account/export/download/")
    assert notification.dedup_key == f"data_export_ready:{export_id}"
    (message,) = mailbox.messages
    assert message["To"] == learner.email
    assert message["Subject"] == "Your StudyMate data is ready to download"
    text = message.get_body(preferencelist=("plain",))
    assert text is not None
    assert url in text.get_content()
    assert _download(url).status_code == 200


# --- the link -----------------------------------------------------------------------------------


@pytest.fixture
def ready(client: APIClient, hooks: Any) -> dict[str, Any]:
    response = _export(client, hooks)
    state = client.get(response["Location"]).json()
    assert state["status"] == "ready"
    return dict(state)


def test_a_tampered_or_made_up_link_is_a_404(ready: dict[str, Any]) -> None:
    url = ready["download_url"]
    token = url.rstrip("/").rsplit("/", 1)[1]
    export_id, stamp, signature = token.split(":")
    other = f"{int(export_id) + 1}:{stamp}:{signature}"
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    for bad in (other, f"{export_id}:{stamp}:{flipped}", export_id, "x"):
        response = _download(url.replace(token, bad))
        assert response.status_code == 404, bad
        assert response.json()["error"]["code"] == "not_found"


def test_after_expiry_the_link_is_dead_and_the_sweep_deletes_the_file(
    learner: User, ready: dict[str, Any]
) -> None:
    export = DataExport.objects.get(pk=ready["id"])
    assert default_storage.exists(export.file.name)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=7, minutes=1)):
        assert _download(ready["download_url"]).status_code == 404
        state = signed_in_client(learner).get(f"{EXPORT}{ready['id']}/").json()
        assert state["status"] == "expired"
        assert state["download_url"] is None
        assert sweep_data_exports.delay().get() == {"expired": 1, "requeued": 0, "pruned": 0}
    assert not default_storage.exists(export.file.name)
    export.refresh_from_db()
    assert export.status == "expired"
    assert not export.file
    with time_machine.travel(timezone.now() + datetime.timedelta(days=40)):
        assert sweep_data_exports.delay().get()["pruned"] == 1
    assert not DataExport.objects.filter(pk=export.pk).exists()


def test_the_link_of_a_deactivated_account_is_dead(learner: User, ready: dict[str, Any]) -> None:
    learner.is_active = False
    learner.save(update_fields=["is_active"])
    assert _download(ready["download_url"]).status_code == 404


def test_the_link_works_until_expiry(ready: dict[str, Any]) -> None:
    with time_machine.travel(timezone.now() + datetime.timedelta(days=6, hours=23)):
        response = _download(ready["download_url"])
        assert response.status_code == 200
        assert "accounts.json" in _zip(response).namelist()


# --- access, throttle, idempotency --------------------------------------------------------------


def test_another_learners_export_is_a_404(
    ready: dict[str, Any], stranger: User, api_client: APIClient
) -> None:
    response = signed_in_client(stranger).get(f"{EXPORT}{ready['id']}/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert api_client.get(f"{EXPORT}{ready['id']}/").status_code == 401
    assert api_client.post(EXPORT).status_code == 401


def test_one_export_a_day_while_the_last_is_ready(
    client: APIClient, learner: User, hooks: Any, ready: dict[str, Any]
) -> None:
    again = _export(client, hooks)
    assert again.status_code == 429
    assert again.json()["error"]["code"] == "throttled"
    assert 86_000 < int(again["Retry-After"]) <= 86_400
    assert DataExport.objects.count() == 1
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=24, seconds=1)):
        assert _export(signed_in_client(learner), hooks).status_code == 202


def test_a_failed_export_does_not_hold_the_next_back(
    client: APIClient, learner: User, hooks: Any
) -> None:
    def broken(user_id: int) -> dict[str, list[dict[str, Any]]]:
        raise RuntimeError("the section's database is gone")

    data_export_sections.register("broken", broken)
    try:
        first = _export(client, hooks)
    finally:
        data_export_sections.unregister("broken")
    assert first.status_code == 202
    state = client.get(first["Location"]).json()
    assert state["status"] == "failed"
    assert state["download_url"] is None
    assert not Notification.objects.filter(user=learner, kind="data_export_ready").exists()
    second = _export(client, hooks)
    assert second.status_code == 202
    assert client.get(second["Location"]).json()["status"] == "ready"


def test_the_same_idempotency_key_answers_the_first_export_again(
    client: APIClient, hooks: Any
) -> None:
    first = _export(client, hooks, HTTP_IDEMPOTENCY_KEY="export-1")
    replay = _export(client, hooks, HTTP_IDEMPOTENCY_KEY="export-1")
    assert first.status_code == replay.status_code == 202
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json()["id"] == first.json()["id"]
    assert DataExport.objects.count() == 1


# --- the build ----------------------------------------------------------------------------------


def test_the_build_is_claimed_once_and_costs_a_few_queries_per_section(
    learner: User, django_assert_max_num_queries: Any
) -> None:
    export = DataExport.objects.create(user=learner)
    LoginHistory.objects.bulk_create(
        LoginHistory(user=learner, email=learner.email, success=True) for _ in range(30)
    )
    with django_assert_max_num_queries(45):
        built = data_export_build(export_id=export.pk)
    assert built is not None
    assert built.status == "ready"
    assert data_export_build(export_id=export.pk) is None  # redelivered: nothing to do
    export.refresh_from_db()
    assert export.size == default_storage.size(export.file.name) > 0


def test_asking_costs_a_few_queries(client: APIClient, django_assert_max_num_queries: Any) -> None:
    with django_assert_max_num_queries(7):  # two are the test transaction's savepoint
        response = client.post(EXPORT)  # the build waits for the commit (none here)
    assert response.status_code == 202
    assert response.json()["status"] == "pending"


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralized(
    client: APIClient, learner: User, hooks: Any
) -> None:
    question = Question.objects.get(quiz__owner=learner)
    question.text = '=HYPERLINK("http://evil.example","click")'
    question.save(update_fields=["text"])
    url = client.get(_export(client, hooks)["Location"]).json()["download_url"]
    (answer,) = _csv_rows(_zip(_download(url)), "quiz_answers.csv")
    assert answer["question_text"] == "'" + question.text


def test_the_sweep_builds_an_export_whose_task_never_ran(learner: User, hooks: Any) -> None:
    """The broker was down when it was asked for: the export waits, pending, for the sweep."""
    export = DataExport.objects.create(user=learner)  # no task enqueued
    assert sweep_data_exports.delay().get()["requeued"] == 0  # too recent: its task may be queued
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=11)):
        with hooks():
            assert sweep_data_exports.delay().get()["requeued"] == 1
        export.refresh_from_db()
        assert export.status == "ready"
        assert Notification.objects.filter(user=learner, kind="data_export_ready").exists()


@pytest.fixture(autouse=True)
def _no_leftover_sections() -> Iterator[None]:
    before = [section.name for section in data_export_sections.sections()]
    yield
    assert [section.name for section in data_export_sections.sections()] == before
