"""A tiny test domain wired into the real buses and subscriber registry, the way an app would
at start: counters that can be incremented, a projection of their totals, and a subscriber
whose failures the tests control.

The projection keeps its state in `Tally`, a test-only table (app label `cqrs_tests`, which is
not an installed app, so migrations never see it; conftest creates it for the session).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import ClassVar

from django.db import models
from django.db.models import F

from accounts.models import User
from studymate_api.core.errors import NotFound
from studymate_api.core.models import DomainEvent
from studymate_api.cqrs import (
    Actor,
    Command,
    CommandContext,
    Context,
    Query,
    Sample,
    command_handler,
    event_subscriber,
    is_authenticated,
    is_staff,
    projection,
    query_handler,
)

INCREMENTED = "counter.incremented"
PROJECTION = "tests.counter_totals"
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


# --- commands and queries --------------------------------------------------------------------


@dataclass(frozen=True)
class Increment(Command[int]):
    """Returns the counter's new version (the sequence of the event it recorded)."""

    counter_id: str
    by: int = 1

    def permits(self, user: Actor) -> bool:
        return is_authenticated(user)


@dataclass(frozen=True)
class IncrementThenFail(Command[None]):
    """Writes, records an event, then fails: nothing of it may survive."""

    counter_id: str


@dataclass(frozen=True)
class ResetEverything(Command[None]):
    def permits(self, user: Actor) -> bool:
        return is_staff(user)


@dataclass(frozen=True)
class RenameOwnCounter(Command[str]):
    """Another user's counter is a 404, never a 403 that would reveal it exists."""

    owner_id: int
    name: str

    denied_as = NotFound

    def permits(self, user: Actor) -> bool:
        return is_authenticated(user) and user is not None and user.pk == self.owner_id


@dataclass(frozen=True)
class CounterTotal(Query[int | None]):
    counter_id: str


def sample_increment() -> Sample:
    user = User.objects.create_user(email="sample@example.com", password="Sample-Pass-42!")
    return Sample(Increment(counter_id="sample", by=2), user=user)


@command_handler(Increment, sample=sample_increment)
def increment(command: Increment, context: CommandContext) -> int:
    event = context.record_event(
        aggregate_type="counter",
        aggregate_id=command.counter_id,
        event_type=INCREMENTED,
        payload={"by": command.by},
    )
    return event.sequence


@command_handler(IncrementThenFail)
def increment_then_fail(command: IncrementThenFail, context: CommandContext) -> None:
    add_to_tally(f"direct:{command.counter_id}", 1)
    context.record_event(
        aggregate_type="counter",
        aggregate_id=command.counter_id,
        event_type=INCREMENTED,
        payload={"by": 1},
    )
    raise RuntimeError("handler failed after writing")


@command_handler(ResetEverything)
def reset_everything(command: ResetEverything, context: CommandContext) -> None:
    Tally.objects.all().delete()


@command_handler(RenameOwnCounter)
def rename_own_counter(command: RenameOwnCounter, context: CommandContext) -> str:
    return command.name


@query_handler(CounterTotal)
def counter_total(query: CounterTotal, context: Context) -> int | None:
    return tally(f"total:{query.counter_id}")


# --- subscribers -----------------------------------------------------------------------------


def _reset_totals() -> None:
    Tally.objects.filter(key__startswith="total:").delete()


counter_totals = projection(PROJECTION, reset=_reset_totals)


@counter_totals.on(INCREMENTED)
def _add_increment(event: DomainEvent) -> None:
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


@event_subscriber(FLAKY, event_types=[INCREMENTED])
def flaky(event: DomainEvent) -> None:
    # Writes first, then maybe fails: the write must roll back with the failed delivery.
    add_to_tally(f"flaky:{event.aggregate_id}", event.payload["by"])
    with flaky_plan.lock:
        if flaky_plan.failures_left:
            flaky_plan.failures_left -= 1
            raise ConnectionError("subscriber backend unavailable")
        flaky_plan.applied.append((event.aggregate_id, event.sequence))
