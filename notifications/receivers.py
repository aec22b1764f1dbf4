"""How the rest of the platform reaches `notify`: event-store subscribers (summaries, quizzes),
a model signal for essays graded after the quiz was finished, and the Django signals of the
subscription and study-room apps when they define them (connected from `apps.ready`)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import structlog
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.signals import post_save

from studymate_api.core.models import DomainEvent
from studymate_api.cqrs import event_subscriber

from .kinds import Kind
from .rendering import TemplateMissing
from .services.sending import notify as _notify

logger = structlog.get_logger(__name__)

SUMMARY_COMPLETED = "SummaryCompleted"
QUIZ_COMPLETED = "QuizCompleted"
ESSAY = "essay"
GRADING = "grading"
GRADED = "graded"

# Signal name in `<module>` → the kind it notifies. Each is connected only if it exists.
SIGNAL_KINDS: dict[str, dict[str, str]] = {
    "subscription.signals": {
        "payment_succeeded": Kind.PAYMENT_SUCCEEDED,
        "payment_failed": Kind.PAYMENT_FAILED,
        "subscription_renewing": Kind.SUBSCRIPTION_RENEWING,
        "subscription_cancelled": Kind.SUBSCRIPTION_CANCELLED,
        "subscription_canceled": Kind.SUBSCRIPTION_CANCELLED,
    },
    "realtime.signals": {"room_invitation": Kind.ROOM_INVITATION},
}


def notify(**kwargs: Any) -> None:
    """`services.notify` for events: a kind without a template (staff deleted it) is logged,
    not raised, so the event's other subscribers and the outbox are not held up."""
    try:
        _notify(**kwargs)
    except TemplateMissing:
        logger.error("notifications.template_missing", kind=kwargs.get("kind"))


def _user(user_id: Any) -> Any:
    return get_user_model().objects.filter(pk=user_id, is_active=True).first()


# --- summaries ----------------------------------------------------------------------------------


@event_subscriber("notifications.summary_ready", event_types=[SUMMARY_COMPLETED])
def summary_ready(event: DomainEvent) -> None:
    payload = event.payload
    user = _user(payload.get("user_id"))
    if user is None:
        return
    context = {"summary_id": payload.get("summary_id"), "summary_title": payload.get("title", "")}
    notify(
        user=user,
        kind=Kind.SUMMARY_READY,
        context=context,
        dedup_key=f"summary_ready:{payload.get('summary_id')}",
    )


# --- quizzes ------------------------------------------------------------------------------------


@event_subscriber("notifications.quiz_graded", event_types=[QUIZ_COMPLETED])
def quiz_completed(event: DomainEvent) -> None:
    """Only attempts with essays: other answers are graded while the learner watches."""
    quiz_graded_notify(attempt_id=int(event.payload.get("attempt_id") or 0))


def quiz_graded_notify(*, attempt_id: int) -> None:
    """Once the attempt is finished and none of its essays is still being graded."""
    from quiz.selectors import attempt_get  # quiz imports nothing of ours; import when needed

    owner = get_user_model().objects.filter(quiz_attempts__pk=attempt_id).first()
    if owner is None:
        return
    attempt = attempt_get(user=owner, attempt_id=attempt_id)
    essays = attempt.answers.filter(question__question_type=ESSAY)
    # Essays still grading or waiting for the owner's review have no final score yet.
    if attempt.finished_at is None or not essays.exists() or essays.exclude(status=GRADED):
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


def answer_graded(sender: Any, *, answer_id: int, **kwargs: Any) -> None:
    """`quiz.signals.answer_graded`, sent after the grade committed: an essay's grade (AI or
    the owner's) may complete the attempt's grading."""
    answer = (
        apps.get_model("quiz", "UserAnswer")
        .objects.filter(pk=answer_id, question__question_type=ESSAY)
        .values_list("attempt_id", flat=True)
        .first()
    )
    if answer is not None:
        _quiz_graded_safely(answer)


def essay_saved(sender: Any, instance: Any, update_fields: Any = None, **kwargs: Any) -> None:
    """The same from a model save, for a quiz app without `answer_graded`: waits for the commit
    so the attempt's rescored totals are what the learner reads."""
    if instance.status == GRADING or not update_fields or "status" not in update_fields:
        return  # answers created graded, or saves that are not a grade
    attempt_id = instance.attempt_id
    transaction.on_commit(lambda: _quiz_graded_safely(attempt_id))


def _quiz_graded_safely(attempt_id: int) -> None:
    try:
        quiz_graded_notify(attempt_id=attempt_id)
    except Exception:
        logger.exception("notifications.quiz_graded_failed", attempt_id=attempt_id)


# --- Django signals of other apps ---------------------------------------------------------------


def signal_receiver(kind: str) -> Callable[..., None]:
    def receive(sender: Any, *, user: Any, **details: Any) -> None:
        context = signal_context(details)
        room = details.get("room")
        reference = (
            details.get("invoice_id")
            or details.get("renewal_id")
            or details.get("cancellation_id")
            or details.get("invitation_id")
            or (f"room-{room.pk}" if room is not None else None)
        )
        dedup_key = f"{kind}:{reference}" if reference else None
        notify(user=user, kind=kind, context=context, dedup_key=dedup_key)

    receive.__name__ = f"notify_{kind}"
    return receive


def signal_context(details: dict[str, Any]) -> dict[str, Any]:
    """JSON-safe template context from a signal's keyword arguments: model instances become
    their `name`/`str`, amounts in minor units are formatted with their currency."""
    context: dict[str, Any] = {}
    for name, value in details.items():
        if value is None or isinstance(value, str | int | float | bool):
            context[name] = value
        elif hasattr(value, "isoformat"):
            context[name] = value.isoformat()
        elif hasattr(value, "_meta"):
            context[name] = _display_name(value)
    subscription = details.get("subscription")
    plan = getattr(subscription, "plan", None)
    if plan is not None:
        context["plan"] = str(getattr(plan, "name", plan))
    period_end = getattr(subscription, "current_period_end", None)
    if period_end is not None:
        context.setdefault("renews_on", period_end.date().isoformat())
        context.setdefault("ends_on", period_end.date().isoformat())
    room = details.get("room")
    if room is not None:
        context.setdefault("room_name", _display_name(room))
    amount = next(
        (details[k] for k in ("amount_due", "amount_paid", "amount") if k in details), None
    )
    if isinstance(amount, int) and details.get("currency"):
        context["amount"] = _money(amount, str(details["currency"]))
    return context


def _display_name(instance: Any) -> str:
    """A room's or plan's `name`; a person's first name (or username), never their email."""
    for attribute in ("name", "first_name", "username"):
        value = getattr(instance, attribute, "")
        if value:
            return str(value)
    return str(instance.pk)


def _money(amount_minor: int, currency: str) -> str:
    try:
        from subscription.money import format_money
    except ImportError:
        return f"{amount_minor} {currency.upper()}"
    return format_money(amount_minor, currency)


def connect_signals() -> list[str]:
    """Connect a receiver to each signal in SIGNAL_KINDS that exists now; returns their names."""
    connected = []
    for module_name, kinds in SIGNAL_KINDS.items():
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        for name, kind in kinds.items():
            signal = getattr(module, name, None)
            if signal is None:
                continue
            signal.connect(signal_receiver(kind), weak=False, dispatch_uid=f"notifications.{name}")
            connected.append(f"{module_name}.{name}")
    return connected


def connect() -> list[str]:
    try:
        from quiz.signals import answer_graded as graded_signal
    except ImportError:
        post_save.connect(essay_saved, sender="quiz.UserAnswer", dispatch_uid="notifications.essay")
    else:
        graded_signal.connect(answer_graded, dispatch_uid="notifications.answer_graded")
    return connect_signals()
