"""`manage.py cqrs_management`: --stats, --test-commands, --replay."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from studymate_api.core.models import DomainEvent
from studymate_api.cqrs import Command, CommandContext, Sample, command_bus
from tests.platform.cqrs.domain import PROJECTION, Increment, Tally, tally

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("cqrs_management", *args, stdout=out)
    return out.getvalue()


@dataclass(frozen=True)
class Broken(Command[None]):
    pass


def _broken(command: Broken, context: CommandContext) -> None:
    context.record_event(aggregate_type="broken", aggregate_id=1, event_type="broken.tried")
    raise ValueError("invariant violated")


@pytest.fixture
def broken_command() -> Iterator[None]:
    command_bus.register(Broken, _broken, sample=lambda: Sample(Broken()))
    yield
    command_bus.unregister(Broken)


def test_without_a_flag_it_says_what_to_choose():
    with pytest.raises(CommandError, match="choose at least one"):
        run()


def test_stats_counts_dispatches_events_and_the_outbox(user):
    command_bus.dispatch(Increment(counter_id="c1"), user=user)  # commit callbacks never run
    command_bus.dispatch(Increment(counter_id="c2"), user=user)

    output = run("--stats")

    assert "commands: 2 dispatched" in output
    assert "tests.platform.cqrs.domain.Increment  count=2 failed=0 mean=" in output
    assert "events: 2" in output
    assert "counter.incremented  2" in output
    assert "outbox: 2 unpublished (0 failing)" in output


def test_test_commands_round_trips_each_sample_and_rolls_back():
    output = run("--test-commands")

    assert "PASS  tests.platform.cqrs.domain.Increment  1 event(s)" in output
    assert "SKIP  tests.platform.cqrs.domain.IncrementThenFail  no sample registered" in output
    assert not DomainEvent.objects.exists()
    assert not Tally.objects.exists()


@pytest.mark.usefixtures("broken_command")
def test_test_commands_fails_when_a_round_trip_fails():
    out = StringIO()

    with pytest.raises(CommandError, match="1 command round trip"):
        call_command("cqrs_management", "--test-commands", stdout=out)

    assert "FAIL  tests.platform.cqrs.test_management.Broken  ValueError: invariant violated" in (
        out.getvalue()
    )
    assert "PASS  tests.platform.cqrs.domain.Increment" in out.getvalue()
    assert not DomainEvent.objects.exists()


def test_replay_rebuilds_the_named_projection(user):
    command_bus.dispatch(Increment(counter_id="c1", by=7), user=user)

    output = run("--replay", PROJECTION)

    assert f"Replayed {PROJECTION}: 1 events applied" in output
    assert tally("total:c1") == 7


def test_replay_of_an_unknown_projection_lists_the_known_ones():
    with pytest.raises(CommandError, match=f"unknown projection 'nope' .*{PROJECTION}"):
        run("--replay", "nope")
