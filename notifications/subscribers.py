"""How the rest of the platform reaches `notify`: subscribers to other apps' events (registered
in `NotificationsConfig.ready`). Each notification has a dedup key, so a redelivered event (or a
second event about the same invoice, renewal, cancellation or room) notifies once.

None of them is isolated: `notify` stores rows and leaves every delivery (email, push, SMS,
in-app) to tasks enqueued after the commit, so nothing here calls the network.
"""

from __future__ import annotations

from typing import Any

import structlog
from django.contrib.auth import get_user_model
from django.utils.dateparse import parse_datetime

from accounts.events import ACCOUNT_ERASURE_DUE, DATA_EXPORT_READY
from quiz.events import ANSWER_GRADED, QUIZ_COMPLETED, QUIZ_GENERATED
from quiz.selectors import attempt_essays_graded, attempt_with_owner
from realtime.events import ROOM_INVITATION
from study.events import SUMMARY_COMPLETED
from study.selectors import user_timezone
from studymate_api.core.models import DomainEvent
from studymate_api.cqrs import event_subscriber
from subscription.events import (
    PAYMENT_FAILED,
    PAYMENT_SUCCEEDED,
    SUBSCRIPTION_CANCELLED,
    SUBSCRIPTION_RENEWING,
)

from .kinds import Kind
from .rendering import TemplateMissing
from .services.erasure import notifications_erase_for_user
from .services.sending import notify as _notify

logger = structlog.get_logger(__name__)

ESSAY = "essay"
# Payload fields that say whom and what the event is about, not what the learner reads.
_NOT_CONTEXT = frozenset({"user_id", "stripe_subscription_id", "period_end"})


def notify(**kwargs: Any) -> None:
    """`services.notify` for events: a kind without a template (staff deleted it) is logged,
    not raised, so the event's other subscribers and the outbox are not held up."""
    try:
        _notify(**kwargs)
    except TemplateMissing:
        logger.error("notifications.template_missing", kind=kwargs.get("kind"))


def _user(user_id: Any) -> Any:
    return get_user_model().objects.filter(pk=user_id, is_active=True).first()


def _recipient(user_id: Any) -> Any:
    """The learner with what `notify` reads of them (language, time zone, preferences): one
    query."""
    return (
        get_user_model()
        .objects.select_related("profile", "notification_preference")
        .filter(pk=user_id, is_active=True)
        .first()
    )


# --- summaries ----------------------------------------------------------------------------------


@event_subscriber("notifications.summary_ready", event_types=[SUMMARY_COMPLETED])
def summary_ready(event: DomainEvent) -> None:
    payload = SUMMARY_COMPLETED.payload_of(event)
    user = _recipient(payload["user_id"])
    if user is None:
        return
    context = {"summary_id": payload["summary_id"], "summary_title": payload["title"]}
    notify(
        user=user,
        kind=Kind.SUMMARY_READY,
        context=context,
        dedup_key=f"summary_ready:{payload['summary_id']}",
    )


# --- quizzes ------------------------------------------------------------------------------------


@event_subscriber("notifications.quiz_ready", event_types=[QUIZ_GENERATED])
def quiz_ready(event: DomainEvent) -> None:
    """An AI quiz is generated in the background: its author is told it can be taken."""
    payload = QUIZ_GENERATED.payload_of(event)
    user = _recipient(payload["user_id"]) if payload["user_id"] is not None else None
    if user is None:
        return
    context = {
        "quiz_id": payload["quiz_id"],
        "quiz_title": payload["title"],
        "questions": payload["questions"],
    }
    notify(
        user=user,
        kind=Kind.QUIZ_READY,
        context=context,
        dedup_key=f"quiz_ready:{payload['quiz_id']}",
    )


@event_subscriber("notifications.quiz_graded", event_types=[QUIZ_COMPLETED, ANSWER_GRADED])
def quiz_graded(event: DomainEvent) -> None:
    """Only attempts with essays (other answers are graded while the learner watches), once
    the attempt is finished and its last essay graded: whichever of the finish and that grade
    comes second tells the learner."""
    if event.event_type == ANSWER_GRADED.name:
        graded = ANSWER_GRADED.payload_of(event)
        if graded["question_type"] != ESSAY:
            return  # most answers: nothing to read, no query
        attempt_id = graded["attempt_id"]
    else:
        finished = QUIZ_COMPLETED.payload_of(event)
        # Most attempts have none: nothing to read, no query. (Events recorded before the
        # payload said so take the long way.)
        if not finished.get("essay_answers", 1):
            return
        attempt_id = finished["attempt_id"]
    quiz_graded_notify(attempt_id=attempt_id)


def quiz_graded_notify(*, attempt_id: int) -> None:
    attempt = attempt_with_owner(attempt_id=attempt_id)
    if attempt is None:
        return
    owner = attempt.user
    # Essays still grading or waiting for the owner's review have no final score yet.
    if attempt.finished_at is None or not attempt_essays_graded(attempt):
        return
    context = {
        "attempt_id": attempt.pk,
        "quiz_title": attempt.quiz.title,
        "score": attempt.score,
        "max_score": attempt.max_score,
        "percentage": attempt.percentage,
        "passed": attempt.passed,
    }
    notify(
        user=owner, kind=Kind.QUIZ_GRADED, context=context, dedup_key=f"quiz_graded:{attempt.pk}"
    )


# --- billing ------------------------------------------------------------------------------------


def _billing_context(payload: Any) -> dict[str, Any]:
    """The payload as the template reads it: the plan's name, the formatted `amount`, and the
    period's end as `renews_on`/`ends_on` where the event does not say otherwise."""
    context = {name: value for name, value in payload.items() if name not in _NOT_CONTEXT}
    if payload.get("period_end"):
        context.setdefault("renews_on", payload["period_end"])
        context.setdefault("ends_on", payload["period_end"])
    return context


def _notify_billing(event: DomainEvent, kind: str, reference: str) -> None:
    payload = event.payload
    user = _user(payload["user_id"])
    if user is None:
        return
    notify(
        user=user,
        kind=kind,
        context=_billing_context(payload),
        dedup_key=f"{kind}:{payload[reference]}",
    )


@event_subscriber("notifications.payment_succeeded", event_types=[PAYMENT_SUCCEEDED])
def payment_succeeded(event: DomainEvent) -> None:
    _notify_billing(event, Kind.PAYMENT_SUCCEEDED, "invoice_id")


@event_subscriber("notifications.payment_failed", event_types=[PAYMENT_FAILED])
def payment_failed(event: DomainEvent) -> None:
    """The learner is asked to update their card."""
    _notify_billing(event, Kind.PAYMENT_FAILED, "invoice_id")


@event_subscriber("notifications.subscription_renewing", event_types=[SUBSCRIPTION_RENEWING])
def subscription_renewing(event: DomainEvent) -> None:
    _notify_billing(event, Kind.SUBSCRIPTION_RENEWING, "renewal_id")


@event_subscriber("notifications.subscription_cancelled", event_types=[SUBSCRIPTION_CANCELLED])
def subscription_cancelled(event: DomainEvent) -> None:
    """Scheduled and final cancellations share a `cancellation_id`: told once."""
    _notify_billing(event, Kind.SUBSCRIPTION_CANCELLED, "cancellation_id")


# --- study rooms --------------------------------------------------------------------------------


@event_subscriber("notifications.room_invitation", event_types=[ROOM_INVITATION])
def room_invitation(event: DomainEvent) -> None:
    payload = ROOM_INVITATION.payload_of(event)
    user = _user(payload["user_id"])
    if user is None:
        return
    context = {
        "inviter": payload["inviter"],
        # Names the inviter: their account's erasure deletes this notice (`services.erasure`).
        "inviter_id": payload["inviter_id"],
        "room_id": payload["room_id"],
        "room_name": payload["room_name"],
        "invite_code": payload["invite_code"],
    }
    notify(
        user=user,
        kind=Kind.ROOM_INVITATION,
        context=context,
        dedup_key=f"{Kind.ROOM_INVITATION}:room-{payload['room_id']}",
    )


# --- data export --------------------------------------------------------------------------------


@event_subscriber("notifications.data_export_ready", event_types=[DATA_EXPORT_READY])
def data_export_ready(event: DomainEvent) -> None:
    """In the inbox and by email (the kind's channels, within the learner's preferences): the
    link is signed and expires, nothing a stored notification must not hold."""
    payload = DATA_EXPORT_READY.payload_of(event)
    user = (
        get_user_model()
        .objects.select_related("profile", "notification_preference")
        .filter(pk=payload["user_id"], is_active=True)
        .first()
    )
    if user is None:
        return
    expires_at = parse_datetime(payload["expires_at"])
    local = expires_at.astimezone(user_timezone(user)) if expires_at else None
    context = {
        "export_id": payload["export_id"],
        "download_url": payload["download_url"],
        "expires_at": local.strftime("%Y-%m-%d %H:%M %Z") if local else payload["expires_at"],
    }
    notify(
        user=user,
        kind=Kind.DATA_EXPORT_READY,
        context=context,
        dedup_key=f"{Kind.DATA_EXPORT_READY}:{payload['export_id']}",
    )


# --- account erasure ----------------------------------------------------------------------------


@event_subscriber("notifications.erase_account", event_types=[ACCOUNT_ERASURE_DUE])
def erase_account(event: DomainEvent) -> None:
    """accounts' AccountErasureDue: the learner's notifications, devices and preferences go
    (`services.erasure`)."""
    notifications_erase_for_user(user_id=ACCOUNT_ERASURE_DUE.payload_of(event)["user_id"])
