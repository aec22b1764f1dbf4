"""Pushes from sync code outside any event loop (a Celery worker, a WSGI thread): on Redis they
go out on the process's one sender loop, not on a thread and a loop per push; failures reach
the caller of `learner_push` (who retries) and are only logged by `broadcast_on_commit`."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.db import transaction
from structlog.testing import capture_logs

from realtime.broadcast import broadcast_on_commit, learner_group, process_sender
from realtime.services.push import learner_push
from tests.realtime.learning_support import broadcast_until_heard, learning_socket, next_event
from tests.realtime.room_support import reset_channel_layers

pytestmark = pytest.mark.django_db(transaction=True)

# Nothing listens there: connections are refused at once.
UNREACHABLE_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},
    }
}


@pytest.fixture(autouse=True)
def _fresh_layers():
    reset_channel_layers()
    yield
    reset_channel_layers()


def in_plain_thread(work: Callable[[], Any]) -> tuple[Any, int]:
    """Runs `work` on a thread without an event loop, as a Celery worker does; returns its
    result (or the exception it raised) and how many threads were started meanwhile."""
    outcome: list[Any] = []
    started: list[threading.Thread] = []
    original_start = threading.Thread.start

    def run() -> None:
        threading.Thread.start = counting_start  # type: ignore[method-assign,assignment]
        try:
            outcome.append(work())
        except Exception as error:
            outcome.append(error)
        finally:
            threading.Thread.start = original_start  # type: ignore[method-assign]

    def counting_start(thread: threading.Thread) -> None:
        started.append(thread)
        original_start(thread)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(30)
    return outcome[0], len(started)


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="the channels-redis layers")
@pytest.mark.parametrize("layer", ["pubsub", "list"])
def test_worker_pushes_reach_the_learner_without_a_thread_each(settings, user, layer):
    """pub/sub: PUBLISHed from the worker's thread; list: sent on the process's sender loop."""
    backend = {
        "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "list": "channels_redis.core.RedisChannelLayer",
    }[layer]
    configured = settings.CHANNEL_LAYERS["default"]
    settings.CHANNEL_LAYERS = {"default": {**configured, "BACKEND": backend}}
    reset_channel_layers()
    process_sender()  # started once per process, before the pushes are counted
    pushes = 20

    def push_all() -> list[str | None]:
        return [
            learner_push(user_id=user.pk, event={"type": "notice", "n": n}) for n in range(pushes)
        ]

    async def scenario() -> None:
        socket = learning_socket(user, validate=False)  # a made-up event type
        assert (await socket.connect())[0]
        # The socket's group subscription is through once it hears a broadcast.
        await broadcast_until_heard(socket, learner_group(user.pk), {"type": "notice", "n": -1})
        groups, threads_started = in_plain_thread(push_all)
        assert groups == [learner_group(user.pk)] * pushes
        assert threads_started == 0
        heard = [(await next_event(socket, "notice"))["n"] for _ in range(pushes)]
        assert sorted(heard) == list(range(pushes))
        await socket.disconnect()

    async_to_sync(scenario)()


def test_a_push_the_layer_cannot_take_is_raised_for_the_caller_to_retry(settings):
    settings.CHANNEL_LAYERS = UNREACHABLE_LAYERS
    reset_channel_layers()
    error, _threads = in_plain_thread(
        lambda: learner_push(user_id=1, event={"type": "notification"})
    )
    assert isinstance(error, OSError)


def test_a_broadcast_the_layer_cannot_take_is_logged_and_the_change_stays(settings, user):
    settings.CHANNEL_LAYERS = UNREACHABLE_LAYERS
    reset_channel_layers()

    def rename_and_announce() -> None:
        with transaction.atomic():
            user.first_name = "Committed"
            user.save(update_fields=["first_name"])
            broadcast_on_commit(learner_group(user.pk), {"type": "notice"})

    with capture_logs() as logs:
        outcome, _threads = in_plain_thread(rename_and_announce)
    assert outcome is None  # nothing raised
    assert [log["event"] for log in logs].count("realtime_broadcast_failed") == 1
    user.refresh_from_db()
    assert user.first_name == "Committed"
