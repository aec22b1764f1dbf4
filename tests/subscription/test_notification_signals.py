"""Billing events reach the learner as notifications: signed Stripe webhooks, verified by the
real `stripe` library, record the subscription events that notifications subscribe to; a
replayed event, or a second event about the same invoice, renewal or cancellation, notifies
once."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from accounts.models import User
from notifications.models import Notification
from studymate_api.core.models import DomainEvent
from studymate_api.cqrs import Subscriber, subscribers
from subscription.events import PAYMENT_SUCCEEDED
from subscription.models import Payment, UserSubscription, WebhookEvent
from tests.standins.stripe_api import StripeStandin
from tests.subscription.test_webhooks import Journey

pytestmark = pytest.mark.django_db

CANCEL = "/api/subscription/cancel/"
MONTH = 30 * 24 * 3600


@pytest.fixture
def learner(user: User) -> User:
    user.profile.preferred_language = "en"
    user.profile.save(update_fields=["preferred_language"])
    return user


@pytest.fixture
def journey(billing: StripeStandin, auth_client: Any, synced_pro: Any, learner: User) -> Journey:
    return Journey(billing, auth_client, synced_pro, start=int(time.time()) - 600)


@pytest.fixture
def send(
    deliver: Callable[..., Any], django_capture_on_commit_callbacks: Callable[..., Any]
) -> Callable[[dict[str, Any]], Any]:
    """Delivers a signed event and runs what waits for the commit (the signals, `notify`'s
    deliveries), as a real commit would."""

    def _send(event: dict[str, Any]) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            response = deliver(event)
        assert response.status_code == 200, response.content
        return response

    return _send


@pytest.fixture
def active(journey: Journey, send: Callable[[dict[str, Any]], Any]) -> Journey:
    send(journey.subscription_event("created", at=journey.start, status="active"))
    return journey


def notifications(user: User, kind: str) -> list[Notification]:
    return list(Notification.objects.filter(user=user, kind=kind))


def test_every_subscription_event_has_a_subscriber() -> None:
    expected = {
        "PaymentSucceeded": "notifications.payment_succeeded",
        "PaymentFailed": "notifications.payment_failed",
        "SubscriptionRenewing": "notifications.subscription_renewing",
        "SubscriptionCancelled": "notifications.subscription_cancelled",
    }
    for event_type, subscriber in expected.items():
        assert [s.name for s in subscribers.for_event(event_type)] == [subscriber]


def test_a_paid_invoice_tells_the_learner_once(active: Journey, send: Any, learner: User) -> None:
    paid = active.invoice_paid(at=active.start + 1)
    send(paid)
    send(paid)  # Stripe retries the same event
    send(active.api.event("invoice.paid", active.invoice, created=active.start + 2))  # another
    [notification] = notifications(learner, "payment_succeeded")
    assert notification.title == "Payment received"
    assert "₩9,900" in notification.body
    assert "for Pro" in notification.body
    assert notification.data["invoice_id"] == active.invoice["id"]
    assert notification.dedup_key == f"payment_succeeded:{active.invoice['id']}"
    assert Payment.objects.filter(user=learner).count() == 1


def test_a_paid_invoice_without_a_subscription_is_not_a_subscription_payment(
    journey: Journey, send: Any, learner: User
) -> None:
    invoice = journey.api.invoice(journey.subscription, amount=3000, currency="krw")
    invoice["parent"] = None  # a one-time invoice, as a credit top-up's would be
    invoice["lines"]["data"][0]["pricing"] = None
    send(journey.api.event("invoice.paid", invoice, created=journey.start + 1))
    assert Payment.objects.filter(user=learner, stripe_invoice_id=invoice["id"]).exists()
    assert notifications(learner, "payment_succeeded") == []


def _upcoming(journey: Journey) -> dict[str, Any]:
    """`invoice.upcoming`'s object: the next period's invoice, which has no id yet."""
    invoice = journey.api.invoice(journey.subscription, amount=9900, currency="krw", status="draft")
    del invoice["id"]
    line = invoice["lines"]["data"][0]
    period_end = line["period"]["end"]
    line["period"] = {"start": period_end, "end": period_end + MONTH}
    return invoice


def test_an_upcoming_renewal_tells_the_learner_once(
    active: Journey, send: Any, learner: User
) -> None:
    upcoming = active.api.event("invoice.upcoming", _upcoming(active), created=active.start + 5)
    send(upcoming)
    send(upcoming)
    # Stripe announcing the same renewal again (a new event) is not a new renewal.
    send(active.api.event("invoice.upcoming", _upcoming(active), created=active.start + 6))
    [notification] = notifications(learner, "subscription_renewing")
    subscription = UserSubscription.objects.get(user=learner)
    assert subscription.current_period_end is not None
    renews_on = subscription.current_period_end.date().isoformat()
    assert notification.title == "Your Pro subscription renews soon"
    assert f"renews on {renews_on}" in notification.body
    assert notification.data["renews_on"] == renews_on
    stored = WebhookEvent.objects.get(stripe_event_id=upcoming["id"])
    assert stored.outcome == "applied: renewal notice"


def test_no_renewal_notice_for_a_subscription_set_to_end(
    active: Journey, send: Any, learner: User
) -> None:
    UserSubscription.objects.filter(user=learner).update(cancel_at_period_end=True)
    upcoming = active.api.event("invoice.upcoming", _upcoming(active), created=active.start + 5)
    send(upcoming)
    assert notifications(learner, "subscription_renewing") == []
    assert WebhookEvent.objects.get(stripe_event_id=upcoming["id"]).outcome.startswith("ignored")


def test_a_notice_for_a_renewal_already_past_tells_nothing(
    active: Journey, send: Any, learner: User
) -> None:
    invoice = _upcoming(active)
    invoice["lines"]["data"][0]["period"]["start"] = active.start - MONTH
    upcoming = active.api.event("invoice.upcoming", invoice, created=active.start + 5)
    send(upcoming)
    assert notifications(learner, "subscription_renewing") == []
    stored = WebhookEvent.objects.get(stripe_event_id=upcoming["id"])
    assert stored.outcome == "ignored: the renewal date has passed"


def _cancelled_update(journey: Journey, *, at: int) -> dict[str, Any]:
    event = journey.subscription_event("updated", at=at, cancel_at_period_end=True)
    event["data"]["previous_attributes"] = {"cancel_at_period_end": False}
    return event


def test_cancelling_at_period_end_then_ending_tells_the_learner_once(
    active: Journey, send: Any, learner: User
) -> None:
    cancelled = _cancelled_update(active, at=active.start + 5)
    send(cancelled)
    send(cancelled)
    [notification] = notifications(learner, "subscription_cancelled")
    subscription = UserSubscription.objects.get(user=learner)
    assert subscription.current_period_end is not None
    ends_on = subscription.current_period_end.date().isoformat()
    assert notification.title == "Your Pro subscription was cancelled"
    assert f"its benefits last until {ends_on}" in notification.body

    # At the end of the period Stripe deletes it: the learner already knows.
    ended = active.subscription_event(
        "deleted", at=active.start + 9, status="canceled", cancel_at_period_end=True
    )
    send(ended)
    assert UserSubscription.objects.get(user=learner).status == "canceled"
    assert len(notifications(learner, "subscription_cancelled")) == 1


def test_an_update_that_does_not_cancel_tells_nothing(
    active: Journey, send: Any, learner: User
) -> None:
    send(active.subscription_event("updated", at=active.start + 5, status="active"))
    assert notifications(learner, "subscription_cancelled") == []


def test_an_immediate_deletion_says_it_has_ended(active: Journey, send: Any, learner: User) -> None:
    send(active.subscription_event("deleted", at=active.start + 5, status="canceled"))
    [notification] = notifications(learner, "subscription_cancelled")
    assert notification.body.endswith("Your Pro subscription was cancelled.")
    assert notification.data["ends_on"] is None


def test_cancelling_through_the_api_is_told_when_stripe_confirms_it(
    active: Journey, send: Any, learner: User, auth_client: Any
) -> None:
    """Our API stores the flag at once; Stripe's webhook that follows still tells the learner
    (its `previous_attributes` show the change), once."""
    assert auth_client.post(CANCEL).status_code == 200
    assert UserSubscription.objects.get(user=learner).cancel_at_period_end is True
    assert notifications(learner, "subscription_cancelled") == []
    later = int(time.time()) + 1
    send(_cancelled_update(active, at=later))
    send(_cancelled_update(active, at=later + 1))  # another event about the same change
    [notification] = notifications(learner, "subscription_cancelled")
    assert "its benefits last until" in notification.body


def test_a_failing_subscriber_does_not_undo_the_payment(
    active: Journey, send: Any, learner: User
) -> None:
    """The billing change and its event commit with the webhook; another subscriber of the
    event that fails neither undoes the payment nor holds back the learner's notification: the
    event stays owed to the failing one alone (the outbox retries it)."""

    def broken(event: DomainEvent) -> None:
        raise RuntimeError("subscriber failed")

    subscribers.register(Subscriber("tests.broken", broken, event_types=[PAYMENT_SUCCEEDED]))
    try:
        send(active.invoice_paid(at=active.start + 1))
    finally:
        subscribers.unregister("tests.broken")
    assert Payment.objects.filter(user=learner).count() == 1
    assert len(notifications(learner, "payment_succeeded")) == 1
    event = DomainEvent.objects.get(event_type=PAYMENT_SUCCEEDED.name)
    assert event.published_at is None
    assert "tests.broken: RuntimeError: subscriber failed" in event.last_error
