"""The platform's events reach learners: summaries, essays graded, payments, room invitations,
in-app pushes to the learner's channel-layer group."""

from __future__ import annotations

import asyncio
from typing import Any

from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from notifications.models import DeliveryAttempt, DeliveryStatus, Notification
from notifications.services import notify
from notifications.subscribers import quiz_graded_notify
from quiz.services import answer_grade_manual, answer_submit, attempt_finish, attempt_start
from quiz.services.authoring import quiz_create
from realtime.broadcast import learner_group
from realtime.services.rooms import room_create, room_invite
from study.models import StudySummary
from study.services.subjects import subject_create
from study.services.summaries import summary_request
from subscription.events import PAYMENT_FAILED
from tests.realtime.asyncapi import check_message
from tests.standins.fixtures import ai_isolated  # noqa: F401

from .conftest import set_profile

ESSAY = {
    "question_type": "essay",
    "text": "Explain photosynthesis.",
    "rubric": [{"name": "Accuracy", "points": 10, "keywords": ["chloroplast"]}],
    "accepted_answers": ["Chloroplasts turn light into glucose."],
}
TRUE_FALSE = {
    "question_type": "true_false",
    "text": "The sun is a star.",
    "accepted_answers": ["true"],
}


def test_a_completed_summary_notifies_its_learner_once(
    user: User,
    commit_hooks: Any,
    ai_isolated: Any,  # noqa: F811
) -> None:
    user = set_profile(user, language="en")
    subject = subject_create(created_by=user, name="Biology")
    text = "Plants turn light into chemical energy. " * 5
    with commit_hooks():
        summary = summary_request(
            user=user, subject_id=subject.pk, content=text, summary_type="brief", title="Leaves"
        )
    assert StudySummary.objects.get(pk=summary.pk).status == "completed"
    notification = Notification.objects.get(user=user, kind="summary_ready")
    assert notification.title == "Your summary “Leaves” is ready"
    assert notification.dedup_key == f"summary_ready:{summary.pk}"


def test_quiz_graded_waits_for_the_owners_grade_of_the_essay(
    user: User,
    other_user: User,
    commit_hooks: Any,
    ai_isolated: Any,  # noqa: F811
) -> None:
    learner = set_profile(other_user, language="en")
    quiz = quiz_create(owner=user, title="Plants", is_public=True, questions=[ESSAY, TRUE_FALSE])
    attempt = attempt_start(user=learner, quiz_id=quiz.pk)
    essay = quiz.questions.get(question_type="essay")
    with commit_hooks():
        answer = answer_submit(
            user=learner, attempt_id=attempt.pk, question_id=essay.pk, answer="Sunlight."
        )
        attempt_finish(user=learner, attempt_id=attempt.pk)
    # The offline grader is never confident: the essay waits for the owner, so nothing yet.
    answer.refresh_from_db()
    assert answer.status == "needs_review"
    assert not Notification.objects.filter(kind="quiz_graded").exists()

    with commit_hooks():
        answer_grade_manual(user=user, answer_id=answer.pk, score=7)
    notification = Notification.objects.get(kind="quiz_graded")
    assert notification.user == learner
    assert notification.data["score"] == 7
    assert notification.title == "“Plants” has been graded"
    with commit_hooks():
        answer_grade_manual(user=user, answer_id=answer.pk, score=8)
    assert Notification.objects.filter(kind="quiz_graded").count() == 1


def test_a_quiz_without_essays_notifies_nothing(
    user: User,
    commit_hooks: Any,
    ai_isolated: Any,  # noqa: F811
) -> None:
    quiz = quiz_create(owner=user, title="Stars", is_public=True, questions=[TRUE_FALSE])
    attempt = attempt_start(user=user, quiz_id=quiz.pk)
    with commit_hooks():
        attempt_finish(user=user, attempt_id=attempt.pk)
    assert not Notification.objects.exists()


def test_a_payment_failed_event_notifies_the_learner(user: User, commit_hooks: Any) -> None:
    """Recorded as the billing webhook records it (`subscription.services.webhooks`)."""
    user = set_profile(user, language="en")
    with commit_hooks():
        PAYMENT_FAILED.record(
            aggregate_id="sub_123",
            payload={
                "user_id": user.pk,
                "stripe_subscription_id": "sub_123",
                "plan": None,
                "period_end": None,
                "invoice_id": "in_123",
                "amount_due": 999,
                "currency": "usd",
                "amount": "$9.99",
                "hosted_invoice_url": "https://invoice.example/in_123",
                "next_payment_attempt": None,
            },
        )
    notification = Notification.objects.get(kind="payment_failed")
    assert notification.dedup_key == "payment_failed:in_123"
    assert notification.title == "We could not charge your card"
    assert "$9.99" in notification.body
    assert "https://invoice.example/in_123" in notification.body


def test_in_app_is_pushed_to_the_learners_open_sockets(user: User, commit_hooks: Any) -> None:
    """A channel in the learner's group, as the realtime consumers join it, gets the event."""
    layer = get_channel_layer()
    assert layer is not None
    group = learner_group(user.pk)

    def send() -> Notification:
        with commit_hooks():
            return notify(
                user=user,
                kind="room_invitation",
                context={"inviter": "Jisoo", "room_name": "Exam prep"},
                channels=["in_app"],
            )

    async def listen() -> tuple[Notification, dict[str, Any]]:
        channel = await layer.new_channel()
        await layer.group_add(group, channel)
        try:
            # In this thread, inside the test's transaction; the event loop stays free.
            notification = await sync_to_async(send)()
            message = await asyncio.wait_for(layer.receive(channel), timeout=5)
        finally:
            await layer.group_discard(group, channel)
        return notification, message

    notification, message = async_to_sync(listen)()
    assert message["type"] == "realtime.event"
    event = message["event"]
    check_message("/ws/learning/analytics/", event)  # what the socket passes on, as documented
    assert event["type"] == "notification"
    assert event["notification"]["id"] == notification.pk
    assert event["notification"]["kind"] == "room_invitation"
    delivery = DeliveryAttempt.objects.get(notification=notification)
    assert delivery.status == DeliveryStatus.SENT


def test_duplicates_collapse_by_key_and_preferences_skip_channels(
    user: User, commit_hooks: Any
) -> None:
    from notifications.services import preference_update

    preference_update(user=user, data={"types": {"goal_reminder": {"email": False}}})
    with commit_hooks():
        first = notify(user=user, kind="goal_reminder", context={}, dedup_key="day-1")
        again = notify(user=user, kind="goal_reminder", context={}, dedup_key="day-1")
    assert first.pk == again.pk
    statuses = dict(
        DeliveryAttempt.objects.filter(notification=first).values_list("channel", "status")
    )
    assert statuses["email"] == DeliveryStatus.SKIPPED
    assert DeliveryAttempt.objects.count() == 3  # in_app, push, email: once


def test_a_room_invitation_names_the_inviter_and_the_room(
    user: User, other_user: User, commit_hooks: Any
) -> None:
    invitee = set_profile(user, language="en")
    room = room_create(owner=other_user, name="Exam prep")
    with commit_hooks():
        room_invite(inviter=other_user, room_id=room.pk, email=invitee.email)
    notification = Notification.objects.get(kind="room_invitation")
    assert notification.title == f"{other_user.first_name} invited you to “Exam prep”"
    assert notification.dedup_key == f"room_invitation:room-{room.pk}"
    assert other_user.email not in notification.body


def test_telling_the_learner_their_essay_was_graded_reads_the_attempt_in_two_queries(
    user: User,
    other_user: User,
    commit_hooks: Any,
    ai_isolated: Any,  # noqa: F811
) -> None:
    """Quiz's selectors give the attempt with its quiz and owner, then the essays' grading state:
    one query each, whatever the number of essays."""
    learner = set_profile(other_user, language="en")
    quiz = quiz_create(owner=user, title="Plants", is_public=True, questions=[ESSAY, ESSAY])
    attempt = attempt_start(user=learner, quiz_id=quiz.pk)
    with commit_hooks():
        answers = [
            answer_submit(user=learner, attempt_id=attempt.pk, question_id=q.pk, answer="Light.")
            for q in quiz.questions.all()
        ]
        attempt_finish(user=learner, attempt_id=attempt.pk)
    answer_grade_manual(user=user, answer_id=answers[0].pk, score=5)
    with CaptureQueriesContext(connection) as reads:
        quiz_graded_notify(attempt_id=attempt.pk)  # one essay still waits: nothing to tell
    assert len(reads.captured_queries) == 2
    assert not Notification.objects.filter(kind="quiz_graded").exists()
