"""Command and query buses: dispatch, transactions, one handler per type, permissions."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from structlog.testing import capture_logs

from studymate_api.core.errors import NotFound, PermissionDenied
from studymate_api.core.models import DomainEvent
from studymate_api.cqrs import (
    AlreadyRegistered,
    Command,
    CommandBus,
    CommandContext,
    NotRegistered,
    QueryBus,
    command_bus,
    command_handler,
    query_bus,
)
from studymate_api.cqrs.stats import bus_stats
from tests.factories import UserFactory
from tests.platform.cqrs.domain import (
    CounterTotal,
    Increment,
    IncrementThenFail,
    RenameOwnCounter,
    ResetEverything,
    tally,
)

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Ping(Command[str]):
    text: str


@dataclass
class Mutable(Command[None]):
    pass


def _pong(command: Ping, context: CommandContext) -> str:
    return command.text.upper()


def test_dispatch_returns_the_handlers_result_and_records_its_events(user):
    version = command_bus.dispatch(Increment(counter_id="c1", by=3), user=user)

    event = DomainEvent.objects.get()
    assert version == 1
    assert (event.aggregate_type, event.aggregate_id, event.sequence) == ("counter", "c1", 1)
    assert event.payload == {"by": 3}
    assert event.user == user
    assert event.metadata == {"command": "tests.platform.cqrs.domain.Increment"}


def test_dispatch_with_events_hands_back_what_the_handler_recorded(user):
    version, events = command_bus.dispatch_with_events(Increment(counter_id="c1"), user=user)

    assert [event.sequence for event in events] == [version]


def test_a_failing_handler_leaves_no_writes_and_no_events(user, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(RuntimeError, match="after writing"),
    ):
        command_bus.dispatch(IncrementThenFail(counter_id="c1"), user=user)

    assert tally("direct:c1") is None
    assert not DomainEvent.objects.exists()
    assert callbacks == []


def test_query_bus_dispatches_to_the_query_handler(user):
    assert query_bus.dispatch(CounterTotal(counter_id="none-yet"), user=user) is None


def test_registering_a_second_handler_for_a_type_is_an_error():
    bus = CommandBus()
    bus.register(Ping, _pong)

    with pytest.raises(AlreadyRegistered, match="Ping already has a handler"):
        bus.register(Ping, _pong)


def test_the_decorator_refuses_a_second_handler_too():
    bus = CommandBus()
    command_handler(Ping, bus=bus)(_pong)

    with pytest.raises(AlreadyRegistered):
        command_handler(Ping, bus=bus)(_pong)


def test_a_type_without_a_handler_cannot_be_dispatched():
    with pytest.raises(NotRegistered, match=r"no command handler for .*\.Ping$"):
        CommandBus().dispatch(Ping("x"), user=None)


def test_only_frozen_dataclasses_of_the_right_kind_can_be_registered():
    with pytest.raises(TypeError, match="frozen dataclass"):
        CommandBus().register(Mutable, lambda command, context: None)
    with pytest.raises(TypeError, match="not a Query subclass"):
        QueryBus().register(Ping, _pong)  # type: ignore[arg-type, type-var]


def test_middleware_runs_outermost_first_around_the_handler():
    calls: list[str] = []

    def outer(message, context, call_next):
        calls.append("outer")
        return call_next() + "!"

    def inner(message, context, call_next):
        calls.append(f"inner sees {context.message_name.rsplit('.', 1)[-1]}")
        return call_next()

    bus = CommandBus(middleware=[outer, inner])
    bus.register(Ping, _pong)

    assert bus.dispatch(Ping("hi"), user=None) == "HI!"
    assert calls == ["outer", "inner sees Ping"]


def test_anonymous_senders_are_refused_before_the_handler_runs():
    with pytest.raises(PermissionDenied):
        command_bus.dispatch(Increment(counter_id="c1"), user=None)

    assert not DomainEvent.objects.exists()


def test_a_staff_only_command_refuses_a_learner(user):
    with pytest.raises(PermissionDenied):
        command_bus.dispatch(ResetEverything(), user=user)


def test_a_staff_only_command_accepts_staff():
    staff = UserFactory.create(is_staff=True)

    assert command_bus.dispatch(ResetEverything(), user=staff) is None


def test_another_users_object_is_not_found_rather_than_forbidden(user, other_user):
    with pytest.raises(NotFound):
        command_bus.dispatch(RenameOwnCounter(owner_id=other_user.pk, name="x"), user=user)


def test_the_owner_passes_the_permission_check(user):
    assert command_bus.dispatch(RenameOwnCounter(owner_id=user.pk, name="x"), user=user) == "x"


def test_dispatches_are_counted_and_timed_by_outcome(user):
    command_bus.dispatch(Increment(counter_id="c1"), user=user)
    with pytest.raises(PermissionDenied):
        command_bus.dispatch(Increment(counter_id="c1"), user=None)
    with pytest.raises(RuntimeError):
        command_bus.dispatch(IncrementThenFail(counter_id="c1"), user=user)

    timings = bus_stats.snapshot("command")
    increment = timings["tests.platform.cqrs.domain.Increment"]
    assert (increment.count, increment.failed) == (2, 1)
    assert increment.max_seconds >= increment.mean_seconds > 0
    assert timings["tests.platform.cqrs.domain.IncrementThenFail"].failed == 1


def test_each_dispatch_logs_one_structured_line(user):
    with capture_logs() as logs:
        command_bus.dispatch(Increment(counter_id="c1"), user=user)
        with pytest.raises(PermissionDenied):
            command_bus.dispatch(Increment(counter_id="c1"), user=None)

    lines = [line for line in logs if line["event"].startswith("cqrs.command.")]
    assert [line["event"] for line in lines] == ["cqrs.command.handled", "cqrs.command.rejected"]
    assert lines[0]["user_id"] == user.pk
    assert lines[0]["events"] == 1
    assert lines[1]["code"] == "permission_denied"
