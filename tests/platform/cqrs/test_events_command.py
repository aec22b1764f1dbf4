"""`manage.py events`: each event type, its producer and its subscribers in delivery order."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from studymate_api.core.models import DomainEvent
from studymate_api.cqrs import Subscriber, subscribers

# The command reads no table; the marker lets this file run alone (the cqrs fixtures set up
# the test database).
pytestmark = pytest.mark.django_db


def events(*args: str) -> list[str]:
    out = StringIO()
    call_command("events", *args, stdout=out, no_color=True)
    return out.getvalue().splitlines()


def test_every_event_is_listed_with_its_producer_and_subscribers_in_order() -> None:
    lines = events()
    quiz_completed = lines.index("QuizCompleted  (quiz.events, aggregate quiz_attempt)")
    assert lines[quiz_completed + 1 : quiz_completed + 3] == [
        "  1. notifications.quiz_graded  [batched]  notifications.subscribers.quiz_graded",
        "  2. personalization.profile  [batched]  "
        "personalization.subscribers.profile_from_activity",
    ]
    # Declared by the producers' events modules, never by their consumers.
    for heading in (
        "AnswerGraded  (quiz.events, aggregate quiz_answer)",
        "SummaryCompleted  (study.events, aggregate summary)",
        "StudyTimeLogged  (study.events, aggregate study_progress)",
        "RoomInvitation  (realtime.events, aggregate study_room)",
        "PaymentFailed  (subscription.events, aggregate stripe_subscription)",
        "SignedOut  (accounts.events, aggregate user)",
    ):
        assert heading in lines


def test_one_event_and_its_isolated_subscribers_last() -> None:
    def handle(event: DomainEvent) -> None:
        del event

    subscribers.register(
        Subscriber("tests.isolated", handle, event_types=["SummaryCompleted"], isolated=True)
    )
    try:
        lines = events("SummaryCompleted")
    finally:
        subscribers.unregister("tests.isolated")
    assert lines[0] == "SummaryCompleted  (study.events, aggregate summary)"
    assert [line.split("  ")[1] for line in lines[1:]] == [
        "1. notifications.summary_ready",
        "2. personalization.review_concepts",
        "3. tests.isolated",
    ]
    assert "[isolated]" in lines[3]


def test_an_event_nobody_hears_says_so() -> None:
    assert events("SummaryRequested")[1:] == ["  no subscribers"]


def test_an_unknown_event_is_an_error() -> None:
    with pytest.raises(CommandError, match="no event type named 'Nope'"):
        events("Nope")
