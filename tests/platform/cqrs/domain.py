"""A tiny test domain wired into the real event store and subscriber registry, the way an app
would at start: counters that can be incremented, a subscriber keeping their totals, and a
subscriber whose failures the tests control.

The subscribers keep their state in `Tally`, a test-only table (app label `cqrs_tests`, which is
not an installed app, so migrations never see it; conftest creates it for the session).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import ClassVar

from django.db import models, transaction
from django.db.models import F

from accounts.models import User
from studymate_api.core.models import DomainEvent
from studymate_api.cqrs import event_subscriber, record_event

INCREMENTED = "counter.incremented"
TOTALS = "tests.counter_totals"
FLAKY = "tests.flaky"


class Tally(models.Model):
    key = models.CharField(max_length=100, unique=True)
    value = models.IntegerField(default=0)

    # Declared because the stubs' plugin only adds managers to models of installed apps.
    objects: ClassVar[models.Manager[Tally]] = models.Manager()

    class Meta:
        app_label = "cqrs_tests"
        db_table = "cqrs_tests_tally"

    def __str__(self) -> str:
        return f"{self.key}={self.value}"


def tally(key: str) -> int | None:
    row = Tally.objects.filter(key=key).first()
    return None if row is None else row.value


def add_to_tally(key: str, amount: int) -> None:
    Tally.objects.get_or_create(key=key)
    Tally.objects.filter(key=key).update(value=F("value") + amount)


# --- writes --------------------------------------------------------------------------------


def increment(*, user: User, counter_id: str, by: int = 1) -> int:
    """Records one increment; returns the counter's new version (the event's sequence)."""
    with transaction.atomic():
        event = record_event(
            aggregate_type="counter",
            aggregate_id=counter_id,
            event_type=INCREMENTED,
            payload={"by": by},
            user=user,
        )
    return event.sequence


def increment_then_fail(*, user: User, counter_id: str) -> None:
    """Writes, records an event, then fails: nothing of it may survive."""
    with transaction.atomic():
        add_to_tally(f"direct:{counter_id}", 1)
        record_event(
            aggregate_type="counter",
            aggregate_id=counter_id,
            event_type=INCREMENTED,
            payload={"by": 1},
            user=user,
        )
        raise RuntimeError("writer failed after writing")


# --- subscribers -----------------------------------------------------------------------------


@event_subscriber(TOTALS, event_types=[INCREMENTED])
def add_to_totals(event: DomainEvent) -> None:
    add_to_tally(f"total:{event.aggregate_id}", event.payload["by"])


@dataclass
class FailurePlan:
    """How many more deliveries the flaky subscriber fails, and what it applied, in order."""

    failures_left: int = 0
    applied: list[tuple[str, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            self.failures_left = 0
            self.applied.clear()


flaky_plan = FailurePlan()

# A failing subscriber is tried twice in one publish: in the event's batch, then on its own
# (the outbox's fallback). This many failures make one publish record a failure.
FAILS_ONE_PUBLISH = 2


@event_subscriber(FLAKY, event_types=[INCREMENTED])
def flaky(event: DomainEvent) -> None:
    # Writes first, then maybe fails: the write must roll back with the failed delivery.
    add_to_tally(f"flaky:{event.aggregate_id}", event.payload["by"])
    with flaky_plan.lock:
        if flaky_plan.failures_left:
            flaky_plan.failures_left -= 1
            raise ConnectionError("subscriber backend unavailable")
        flaky_plan.applied.append((event.aggregate_id, event.sequence))
