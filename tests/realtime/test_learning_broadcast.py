"""`broadcast_on_commit`: events reach the learner's sockets only once the transaction commits."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.db import transaction

from realtime.broadcast import broadcast_on_commit, learner_group
from tests.realtime.learning_support import broadcast_until_heard, learning_socket, next_event
from tests.realtime.room_support import reset_channel_layers

pytestmark = pytest.mark.django_db(transaction=True)


class RolledBack(Exception):
    pass


@pytest.fixture(autouse=True)
def _fresh_layers():
    reset_channel_layers()
    yield
    reset_channel_layers()


def test_a_rolled_back_change_is_never_announced_a_committed_one_is(user):
    group = learner_group(user.pk)

    def announce_then_fail() -> None:
        with transaction.atomic():
            broadcast_on_commit(group, {"type": "notice", "n": 1})
            raise RolledBack

    def rolled_back() -> None:
        with pytest.raises(RolledBack):
            announce_then_fail()

    def committed() -> None:
        with transaction.atomic():
            broadcast_on_commit(group, {"type": "notice", "n": 2})

    async def scenario() -> None:
        socket = learning_socket(user, validate=False)  # a made-up event type, not the protocol
        assert (await socket.connect())[0]
        await database_sync_to_async(rolled_back)()
        assert await socket.receive_nothing(timeout=0.3)
        await database_sync_to_async(committed)()
        assert await next_event(socket, "notice") == {"type": "notice", "n": 2}
        await socket.disconnect()

    async_to_sync(scenario)()


def test_outside_a_transaction_it_sends_at_once(user):
    async def scenario() -> None:
        socket = learning_socket(user, validate=False)  # a made-up event type, not the protocol
        assert (await socket.connect())[0]
        heard = await broadcast_until_heard(
            socket, learner_group(user.pk), {"type": "notice", "n": 3}
        )
        assert heard == {"type": "notice", "n": 3}
        await socket.disconnect()

    async_to_sync(scenario)()
