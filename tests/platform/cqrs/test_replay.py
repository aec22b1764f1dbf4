"""Rebuilding a projection from the event store."""

from __future__ import annotations

import pytest

from studymate_api.core.models import EventDelivery
from studymate_api.cqrs import NotRegistered, command_bus, replay
from tests.platform.cqrs.domain import FLAKY, PROJECTION, Increment, Tally, flaky_plan, tally

pytestmark = pytest.mark.django_db


@pytest.fixture
def published_increments(user, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        for counter_id, by in [("c1", 2), ("c2", 5), ("c1", 3)]:
            command_bus.dispatch(Increment(counter_id=counter_id, by=by), user=user)


@pytest.mark.usefixtures("published_increments")
def test_replay_rebuilds_a_damaged_projection():
    Tally.objects.filter(key="total:c1").update(value=999)
    Tally.objects.create(key="total:ghost", value=1)

    assert replay(PROJECTION) == 3

    assert tally("total:c1") == 5
    assert tally("total:c2") == 5
    assert tally("total:ghost") is None


@pytest.mark.usefixtures("published_increments")
def test_replay_leaves_other_subscribers_alone():
    replay(PROJECTION)

    assert tally("flaky:c1") == 5
    assert EventDelivery.objects.filter(subscriber=FLAKY).count() == 3
    assert flaky_plan.applied == [("c1", 1), ("c2", 1), ("c1", 2)]


@pytest.mark.usefixtures("published_increments")
def test_after_a_replay_new_events_are_applied_once(user, django_capture_on_commit_callbacks):
    replay(PROJECTION)

    with django_capture_on_commit_callbacks(execute=True):
        command_bus.dispatch(Increment(counter_id="c1", by=10), user=user)

    assert tally("total:c1") == 15
    assert EventDelivery.objects.filter(subscriber=PROJECTION).count() == 4


def test_replay_fills_a_projection_that_missed_events(user):
    # Recorded but never published (commit callbacks not run): the projection saw nothing.
    command_bus.dispatch(Increment(counter_id="c1", by=4), user=user)
    assert tally("total:c1") is None

    replay(PROJECTION)

    assert tally("total:c1") == 4


def test_only_projections_can_be_replayed():
    with pytest.raises(NotRegistered, match="not a projection"):
        replay(FLAKY)
    with pytest.raises(NotRegistered, match="no event subscriber named 'nope'"):
        replay("nope")
