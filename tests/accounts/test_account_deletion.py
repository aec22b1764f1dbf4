"""Deleting an account over HTTP: the password, sign-out everywhere and deactivation at once, the
paid subscription cancelled at the Stripe stand-in, cancel within the grace period, and after it
an erasure that leaves nothing about the learner in any table of the database."""

from __future__ import annotations

import datetime
import json
import re
import time
from typing import Any

import pytest
import time_machine
from django.apps import apps
from django.core import mail
from django.db import connection, models
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from accounts.models.lifecycle import AccountDeletion, AccountDeletionState
from accounts.services import tokens_issue
from accounts.tasks import erase_due_accounts
from realtime.services.rooms import room_message_post
from study.models import Subject
from subscription.models import CreditLedger, Payment
from tests.conftest import login_tokens
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.standins.stripe_api import StripeStandin, sign
from tests.study.conftest import ENGLISH_TEXT
from tests.subscription.conftest import (  # noqa: F401  # fixtures
    WEBHOOK,
    WEBHOOK_SECRET,
    billing,
    pro_plan,
    stripe_api,
    synced_pro,
)
from tests.subscription.test_webhooks import Journey

DELETE = "/api/auth/account/delete/"
CANCEL = "/api/auth/account/delete/cancel/"
PROFILE = "/api/auth/profile/"
REFRESH = "/api/auth/refresh/"
LOGIN = "/api/auth/login/"
REALTIME = "/api/study/realtime"

# Distinctive, so that finding them anywhere means they were left behind.
EMAIL = "zephy.q@example.com"
USERNAME = "quixo_learner"
FIRST_NAME = "Zephyrine"
LAST_NAME = "Quixotella"
ADDRESS = "203.0.113.77"
OTHER_ADDRESS = "198.51.100.8"
DEVICE_TOKEN = "device-token-of-the-learner-0001"
PHONE = "+821055501234"
NEEDLES = [EMAIL, USERNAME, FIRST_NAME, LAST_NAME, ADDRESS, DEVICE_TOKEN, PHONE]
# Columns that hold something about the learner once they have used every feature.
EVERYWHERE = {
    "accounts_user.email",
    "accounts_loginhistory.ip_address",
    "accounts_signin.ip_address",
    "token_blacklist_outstandingtoken.user_id",
    "core_aiusage.user_id",
    "core_domainevent.payload",
    "study_subject.created_by_id",
    "study_studysummary.user_id",
    "study_studyprogress.user_id",
    "study_studylog.user_id",
    "study_studygoal.user_id",
    "study_studysettings.user_id",
    "quiz_quiz.owner_id",
    "quiz_quizattempt.user_id",
    "personalization_learnerprofile.user_id",
    "personalization_reviewcard.user_id",
    "realtime_learningsession.user_id",
    "realtime_studyroom.owner_id",
    "realtime_roommembership.user_id",
    "realtime_roommessage.body",
    "notifications_device.token",
    "notifications_notificationpreference.phone_number",
    "notifications_notification.user_id",
    "notifications_notification.body",
    "subscription_stripecustomer.stripe_customer_id",
    "subscription_usersubscription.user_id",
    "subscription_payment.user_id",
    "subscription_creditledger.user_id",
    "subscription_webhookevent.payload",
}

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _in_process(celery_in_process: None, settings: Any) -> None:
    """Tasks and the outbox run in the test's process; rooms may be invited to and plans bought
    without a verified email (verification is tested on its own)."""
    settings.ACCOUNTS_UNVERIFIED_MAY_NOT = ()


def bearer(access: str, address: str = ADDRESS) -> APIClient:
    client = APIClient(REMOTE_ADDR=address)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def sign_in(email: str = EMAIL, address: str = ADDRESS) -> dict[str, Any]:
    return login_tokens(APIClient(REMOTE_ADDR=address), email, DEFAULT_PASSWORD)


def register() -> tuple[User, APIClient]:
    body = {
        "email": EMAIL,
        "password": DEFAULT_PASSWORD,
        "username": USERNAME,
        "first_name": FIRST_NAME,
        "last_name": LAST_NAME,
    }
    response = APIClient(REMOTE_ADDR=ADDRESS).post("/api/auth/register/", body, format="json")
    assert response.status_code == 201, response.content
    return User.objects.get(email=EMAIL), bearer(sign_in()["access"])


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.content
    return response.json() if response.content else None


def request_deletion(client: APIClient, password: str = DEFAULT_PASSWORD) -> dict[str, Any]:
    response = client.post(DELETE, {"password": password}, format="json")
    assert response.status_code == 202, response.content
    assert response["Location"].endswith(CANCEL)
    return dict(response.json())


def scheduled_at(body: dict[str, Any]) -> datetime.datetime:
    return datetime.datetime.fromisoformat(body["deletion_scheduled_at"])


@pytest.fixture
def classmate(db: Any) -> tuple[User, APIClient]:
    other = UserFactory.create(email="classmate@example.com", username="classmate")
    # From another address: the learner's must vanish, the classmate's stay.
    return other, bearer(sign_in(other.email, OTHER_ADDRESS)["access"], OTHER_ADDRESS)


# --- the whole journey -------------------------------------------------------------------------


def use_every_feature(
    learner: User, client: APIClient, classmate: tuple[User, APIClient], journey: Journey
) -> dict[str, Any]:
    """The learner studies, takes and writes quizzes, studies in a session and in rooms with
    chat, registers a device, gets notifications, pays for a plan and uses AI; the classmate
    studies the learner's public subject and quiz and has a room the learner chats in."""
    other, other_client = classmate
    private = ok(client.post("/api/study/subjects/", {"name": "My notes"}, format="json"), 201)
    public = ok(
        client.post(
            "/api/study/subjects/", {"name": "Open algebra", "is_public": True}, format="json"
        ),
        201,
    )
    summary = {"subject_id": private["id"], "content": ENGLISH_TEXT, "summary_type": "brief"}
    assert (
        ok(client.post("/api/study/generate-summary/", summary, format="json"), 202)["status"]
        == "completed"
    )
    for subject in (private, public):
        log = {"subject_id": subject["id"], "minutes": 30, "topics_covered": ["limits"]}
        assert client.post("/api/study/progress/", log, format="json").status_code < 300
    goal = {"subject_id": private["id"], "title": "Finish chapter", "target_minutes": 120}
    ok(client.post("/api/study/goals/", goal, format="json"), 201)
    ok(client.put("/api/study/settings/", {"daily_goal_minutes": 45}, format="json"))
    # The classmate studies the learner's public subject: it outlives the learner.
    other_log = {"subject_id": public["id"], "minutes": 10}
    assert other_client.post("/api/study/progress/", other_log, format="json").status_code < 300

    question = {
        "question_type": "short_answer",
        "text": "What is 2 + 2?",
        "accepted_answers": ["4"],
    }
    mine = {"title": "My drill", "subject_id": private["id"], "is_public": False}
    ok(client.post("/api/quiz/quizzes/", {**mine, "questions": [question]}, format="json"), 201)
    shared = {"title": "Algebra warm-up", "subject_id": public["id"], "is_public": True}
    shared_quiz = ok(
        client.post("/api/quiz/quizzes/", {**shared, "questions": [question]}, format="json"), 201
    )
    theirs = ok(
        other_client.post(
            "/api/quiz/quizzes/",
            {"title": "Classmate's quiz", "is_public": True, "questions": [question]},
            format="json",
        ),
        201,
    )
    for quiz in (theirs, shared_quiz):
        attempt = ok(client.post(f"/api/quiz/quizzes/{quiz['id']}/attempts/"), 201)
        answer = {
            "attempt_id": attempt["id"],
            "question_id": quiz["questions"][0]["id"],
            "answer": "4",
        }
        ok(client.post("/api/quiz/submit-answer/", answer, format="json"))
        ok(client.post(f"/api/quiz/attempts/{attempt['id']}/finish/"))
    pattern = {"activity_type": "study", "content_type": "video", "duration_minutes": 25}
    ok(client.post("/api/personalization/update_pattern/", pattern, format="json"))

    session = ok(
        client.post(
            f"{REALTIME}/learning/start_session/", {"subject_id": private["id"]}, format="json"
        ),
        201,
    )
    ok(client.post(f"{REALTIME}/learning/end_session/", {"session_id": session["session_id"]}))
    room = ok(client.post(f"{REALTIME}/rooms/", {"name": "Night owls"}, format="json"), 201)
    invite = client.post(f"{REALTIME}/rooms/{room['id']}/invite/", {"email": other.email})
    assert invite.status_code < 300, invite.content
    other_room = ok(
        other_client.post(f"{REALTIME}/rooms/", {"name": "Day crew"}, format="json"), 201
    )
    assert client.post(f"{REALTIME}/rooms/{other_room['id']}/join/").status_code < 300
    room_message_post(user=learner, room_id=room["id"], body=f"hi, {FIRST_NAME} here")
    room_message_post(user=learner, room_id=other_room["id"], body=f"{LAST_NAME} says hello")
    room_message_post(user=other, room_id=other_room["id"], body="welcome!")

    device = {"token": DEVICE_TOKEN, "platform": "ios"}
    assert client.post("/api/notifications/devices/", device, format="json").status_code < 300
    preferences = {"sms_enabled": True, "phone_number": PHONE}
    assert (
        client.put("/api/notifications/preferences/", preferences, format="json").status_code < 300
    )

    for event in journey.full_sequence():
        assert deliver_event(event).status_code == 200
    return {"public_subject": public["id"], "shared_quiz": shared_quiz["id"]}


def deliver_event(event: dict[str, Any]) -> Any:
    """POST the event to the webhook as Stripe does, signed with the endpoint secret."""
    payload = json.dumps(event)
    return APIClient().post(
        WEBHOOK,
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(payload, WEBHOOK_SECRET),
    )


@pytest.fixture
def learner(
    billing: StripeStandin,  # noqa: F811
    synced_pro: Any,  # noqa: F811
    classmate: tuple[User, APIClient],
) -> tuple[User, APIClient, Journey, dict[str, Any]]:
    user, client = register()
    journey = Journey(billing, client, synced_pro, start=int(time.time()) - 600)
    made = use_every_feature(user, client, classmate, journey)
    return user, client, journey, made


def test_delete_cancel_then_erase_leaves_nothing(learner, billing, classmate):  # noqa: F811
    user, client, journey, made = learner
    assert Payment.objects.filter(user=user).exists()
    assert CreditLedger.objects.filter(user=user).exists()
    refresh = sign_in()["refresh"]
    other_sign_in = sign_in()
    needles = [*NEEDLES, journey.customer]
    # The scan sees the learner everywhere before: what it finds nowhere after was erased.
    before = {hit.split(" ")[0] for hit in scan_for(user_id=user.pk, needles=needles)}
    assert before >= EVERYWHERE, EVERYWHERE - before
    mail.outbox.clear()

    # A wrong password changes nothing.
    wrong = client.post(DELETE, {"password": "not-my-password"}, format="json")
    assert wrong.status_code == 400
    assert "password" in wrong.json()["error"]["fields"]
    assert User.objects.get(pk=user.pk).is_active

    requested = request_deletion(client)
    when = scheduled_at(requested)
    assert abs(when - (timezone.now() + datetime.timedelta(days=7))) < datetime.timedelta(minutes=1)
    # Signed out everywhere, at once: this client, another sign-in, refresh tokens.
    assert client.get(PROFILE).status_code == 401
    assert bearer(other_sign_in["access"]).get(PROFILE).status_code == 401
    assert APIClient().post(REFRESH, {"refresh": refresh}, format="json").status_code == 401
    assert not User.objects.get(pk=user.pk).is_active
    # The paid subscription was cancelled at Stripe, now.
    cancels = [
        r
        for r in billing.requests
        if r.method == "DELETE"
        and r.path.startswith(f"/v1/subscriptions/{journey.subscription['id']}")
    ]
    assert len(cancels) == 1
    assert billing.objects[journey.subscription["id"]]["status"] == "canceled"
    assert [m.to for m in mail.outbox] == [[EMAIL]]

    # Signing in again is allowed, only to cancel.
    again = sign_in()
    assert scheduled_at(again) == when
    assert bearer(again["access"]).get(PROFILE).status_code == 401
    assert (
        APIClient().post(REFRESH, {"refresh": again["refresh"]}, format="json").status_code == 401
    )
    assert bearer(again["access"]).post(CANCEL).status_code == 204
    assert User.objects.get(pk=user.pk).is_active
    restored = bearer(again["access"])
    assert restored.get(PROFILE).status_code == 200
    assert "deletion_scheduled_at" not in sign_in()
    assert restored.post(CANCEL).status_code == 409

    # Deleted for good this time: nothing happens before the grace period ends.
    requested = request_deletion(restored)
    when = scheduled_at(requested)
    with time_machine.travel(when - datetime.timedelta(seconds=5), tick=False):
        erase_due_accounts()
        assert User.objects.filter(pk=user.pk).exists()
    mail.outbox.clear()
    with time_machine.travel(when + datetime.timedelta(seconds=1), tick=False):
        # Too late to cancel: the sign-in is refused too.
        late = APIClient().post(LOGIN, {"email": EMAIL, "password": DEFAULT_PASSWORD})
        assert late.status_code == 401
        erase_due_accounts()
        erase_due_accounts()  # a second run (or a second worker) does nothing more
    assert not User.objects.filter(pk=user.pk).exists()
    states: list[tuple[str, int | None]] = sorted(
        AccountDeletion.objects.values_list("state", "user_id")
    )
    assert states == [(AccountDeletionState.CANCELED, None), (AccountDeletionState.ERASED, None)]
    assert [m.to for m in mail.outbox] == [[EMAIL]]  # "account deleted", to the old address
    assert any(
        r.method == "DELETE" and r.path.startswith(f"/v1/customers/{journey.customer}")
        for r in billing.requests
    )

    # Kept for the law, without the person; kept for the classmate, without the author.
    assert Payment.objects.filter(user__isnull=True, amount_paid=9900).count() == 1
    assert CreditLedger.objects.filter(user__isnull=True).exists()
    assert Subject.objects.get(pk=made["public_subject"]).created_by_id is None
    assert not Subject.objects.filter(name="My notes").exists()
    _other, other_client = classmate
    assert other_client.get(f"/api/quiz/quizzes/{made['shared_quiz']}/").status_code == 200

    leftovers = scan_for(user_id=user.pk, needles=needles)
    assert leftovers == []


# --- the scan ----------------------------------------------------------------------------------

_TEXT_FIELDS = (
    models.CharField,
    models.TextField,
    models.JSONField,
    models.GenericIPAddressField,
)
# Columns that hold a user's id without being a foreign key to the user table.
_ID_COLUMNS = {"user_id", "owner_id", "author_id", "created_by_id", "inviter_id"}
_ID_KEYS = ("user_id", "owner_id", "author_id", "created_by", "inviter_id", "learner_id")


def scan_for(*, user_id: int, needles: list[str]) -> list[str]:
    """Every row of every table (m2m tables included): text, char and JSON columns must not
    contain a needle (case-insensitive) nor name `user_id` under an id key; foreign keys to the
    user table and columns named like a user's id must not hold `user_id`."""
    found: list[str] = []
    lowered = [n.lower() for n in needles]
    id_pattern = re.compile(
        r'"(' + "|".join(_ID_KEYS) + r')"\s*:\s*"?' + str(user_id) + r"(?![0-9])"
    )
    quote = connection.ops.quote_name
    for model in apps.get_models(include_auto_created=True):
        table = model._meta.db_table
        for field in model._meta.concrete_fields:
            column = field.column
            is_user_link = field.is_relation and field.related_model is User
            if is_user_link or column in _ID_COLUMNS:
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"SELECT COUNT(*) FROM {quote(table)} WHERE {quote(column)} = %s",  # noqa: S608
                        [user_id],
                    )
                    if cursor.fetchone()[0]:
                        found.append(f"{table}.{column} = {user_id}")
            if not isinstance(field, _TEXT_FIELDS):
                continue
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT {quote(column)} FROM {quote(table)}")  # noqa: S608
                values = [row[0] for row in cursor.fetchall()]
            for value in values:
                if value is None:
                    continue
                text = value if isinstance(value, str) else json.dumps(value)
                low = text.lower()
                found += [f"{table}.{column} has {n!r}" for n in lowered if n in low]
                if isinstance(field, models.JSONField) and id_pattern.search(text):
                    found.append(f"{table}.{column} names user {user_id}: {text[:200]}")
    return found


# --- narrower cases ----------------------------------------------------------------------------


@pytest.fixture
def member(db: Any) -> tuple[User, APIClient]:
    user = UserFactory.create()
    return user, bearer(sign_in(user.email)["access"])


def test_wrong_or_missing_password_is_400_and_changes_nothing(member):
    user, client = member
    for body in ({"password": "nope"}, {}):
        response = client.post(DELETE, body, format="json")
        assert response.status_code == 400
        assert list(response.json()["error"]["fields"]) == ["password"]
    assert User.objects.get(pk=user.pk).is_active
    assert not AccountDeletion.objects.exists()
    assert client.get(PROFILE).status_code == 200


def test_needs_sign_in(api_client):
    assert api_client.post(DELETE, {"password": "x"}, format="json").status_code == 401
    assert api_client.post(CANCEL).status_code == 401


def test_cancel_without_a_pending_deletion_is_409(member):
    _user, client = member
    assert client.post(CANCEL).status_code == 409


def test_grace_period_setting_and_boundary(member, settings):
    settings.ACCOUNTS_DELETION_GRACE_DAYS = 2
    user, client = member
    when = scheduled_at(request_deletion(client))
    assert abs(when - (timezone.now() + datetime.timedelta(days=2))) < datetime.timedelta(minutes=1)
    with time_machine.travel(when - datetime.timedelta(seconds=1), tick=False):
        again = sign_in(user.email)
        erase_due_accounts()
        assert User.objects.filter(pk=user.pk).exists()
        assert bearer(again["access"]).post(CANCEL).status_code == 204
    # Cancelled: the beat task, however late, leaves it alone.
    with time_machine.travel(when + datetime.timedelta(days=30), tick=False):
        erase_due_accounts()
    assert User.objects.get(pk=user.pk).is_active


def test_erasure_is_idempotent_and_a_late_cancel_is_refused(member):
    user, client = member
    again_before = sign_in(user.email)  # a sign-in from before the request: ended by it
    when = scheduled_at(request_deletion(client))
    again = sign_in(user.email)
    with time_machine.travel(when, tick=False):
        assert bearer(again["access"]).post(CANCEL).status_code in (401, 409)
        assert erase_due_accounts() == {"started": 1, "finished": 1}
        assert erase_due_accounts() == {"started": 0, "finished": 0}
    assert bearer(again_before["access"]).post(CANCEL).status_code == 401
    assert not User.objects.filter(pk=user.pk).exists()
    assert AccountDeletion.objects.get().state == AccountDeletionState.ERASED


def test_an_account_without_a_password_needs_a_recent_sign_in(db, settings):
    settings.ACCOUNTS_DELETION_RECENT_SIGN_IN_MINUTES = 10
    user = UserFactory.create()
    user.set_unusable_password()
    user.save(update_fields=["password"])
    access = tokens_issue(user=user).access  # a sign-in that just started (social, later)
    assert bearer(access).post(DELETE, {}, format="json").status_code == 202
    assert not User.objects.get(pk=user.pk).is_active


def test_an_old_sign_in_of_an_account_without_a_password_is_refused(db, settings):
    settings.ACCOUNTS_DELETION_RECENT_SIGN_IN_MINUTES = 10
    user = UserFactory.create()
    user.set_unusable_password()
    user.save(update_fields=["password"])
    started = timezone.now()
    with time_machine.travel(started, tick=False):
        access = tokens_issue(user=user).access
    with time_machine.travel(started + datetime.timedelta(minutes=11), tick=False):
        response = bearer(access).post(DELETE, {}, format="json")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["password"]
    assert User.objects.get(pk=user.pk).is_active


def test_query_budgets(member, django_assert_max_num_queries):
    """The request's own writes, sign-outs and events; the after-commit reactions (Stripe, mail,
    sockets) run in the outbox, counted here too because Celery runs in the test's process."""
    user, client = member
    # 38 on SQLite; PostgreSQL adds an advisory lock per event appended to an aggregate.
    with django_assert_max_num_queries(41):
        request_deletion(client)
    again = bearer(sign_in(user.email)["access"])
    with django_assert_max_num_queries(15):  # 14 on SQLite
        assert again.post(CANCEL).status_code == 204


def test_a_request_whose_user_row_is_gone_is_closed(member):
    """The admin deleted the user row during the grace period: the request is closed, not left
    waiting for an erasure that has nothing to erase."""
    user, client = member
    when = scheduled_at(request_deletion(client))
    User.objects.filter(pk=user.pk).delete()
    with time_machine.travel(when, tick=False):
        assert erase_due_accounts() == {"started": 0, "finished": 0}
    assert AccountDeletion.objects.get().state == AccountDeletionState.ERASED
