"""Throttles (`studymate_api.core.throttling`): the user rate counted in a sliding window kept as
one integer counter per window (one cache command per request on Redis), refusals in the
envelope with Retry-After, and a refused request left uncounted."""

from __future__ import annotations

from typing import Any, cast

import pytest
from django.conf import settings
from django.core.cache import cache

from studymate_api.core import throttling
from studymate_api.core.throttling import Count, UserThrottle, Window, count_and_read
from tests.conftest import signed_in_client

pytestmark = pytest.mark.django_db

SUBJECTS = "/api/study/subjects/"


@pytest.fixture
def user_rate_3(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "user": "3/min",
        },
    }


def window_counter(user_id: int, window: int) -> object:
    return cache.get(f"throttle:user:{user_id}:{window}")


def test_the_user_rate_refuses_the_request_past_it(user, user_rate_3):
    client = signed_in_client(user)
    assert [client.get(SUBJECTS).status_code for _ in range(3)] == [200] * 3
    refused = client.get(SUBJECTS)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "throttled"
    assert 0 < int(refused["Retry-After"]) <= 60


def test_the_count_is_one_integer_per_window_and_refusals_are_not_counted(user, user_rate_3):
    client = signed_in_client(user)
    statuses = [client.get(SUBJECTS).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    counters = [
        value
        for window in range(_window_now() - 1, _window_now() + 1)
        if (value := window_counter(user.pk, window)) is not None
    ]
    # Three allowed requests in this window (a window boundary may split them in two).
    assert sum(int(value) for value in counters) == 3  # type: ignore[call-overload]


def test_other_learners_have_their_own_count(user, other_user, user_rate_3):
    client = signed_in_client(user)
    for _ in range(4):
        client.get(SUBJECTS)
    assert signed_in_client(other_user).get(SUBJECTS).status_code == 200


class _ThrottleAt(UserThrottle):
    """The user throttle with a clock the test sets."""

    now_seconds = 0.0

    def timer(self) -> float:
        return self.now_seconds


def _allowed(throttle_at: float, request: object) -> bool:
    _ThrottleAt.now_seconds = throttle_at
    throttle = _ThrottleAt()
    allowed = throttle.allow_request(request, None)  # type: ignore[arg-type]
    if not allowed:
        assert throttle.wait() is not None
    return allowed


def test_the_previous_window_still_counts_for_what_it_overlaps(user, user_rate_3):
    """Three requests at the end of one minute. Five seconds into the next, 55/60 of them still
    count (2.75): one more request fits, a second does not until a third of the new minute has
    passed (3 * 40/60 + 1 < 3), which is what Retry-After says."""
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    request = Request(APIRequestFactory().get(SUBJECTS))
    request.user = user
    start = 600 * 60.0  # the start of a minute
    assert [_allowed(start + 59, request) for _ in range(3)] == [True] * 3
    assert _allowed(start + 59.5, request) is False
    assert _allowed(start + 65, request) is True
    throttle = _ThrottleAt()
    _ThrottleAt.now_seconds = start + 66
    assert throttle.allow_request(request, None) is False  # type: ignore[arg-type]
    wait = throttle.wait()
    assert wait is not None
    assert 13.9 < wait < 14.1
    assert _allowed(start + 66 + wait - 0.5, request) is False
    assert _allowed(start + 66 + wait, request) is True


def _window_now() -> int:
    import time

    return int(time.time() // 60)


def test_one_command_counts_unless_a_gate_is_present() -> None:
    """`count_and_read`, what the cached read path sends: the records that send a request down
    the usual path (gates) are read with the page; while one exists nothing is counted."""
    window = Window(("throttle:gates:1:11", "throttle:gates:1:10"), 2, 0.5, 120)
    cache.set("gate", 1)
    cache.set("page", {"rows": [1, 2]})
    gated = count_and_read([window], gates=["gate"], reads=["page", "absent"])
    assert (gated.counted, gated.counts) == (False, [])
    assert gated.found == {"gate": 1, "page": {"rows": [1, 2]}}
    assert cache.get(window.keys[0]) is None
    cache.delete("gate")
    counts = [count_and_read([window], gates=["gate"], reads=["page"]) for _ in range(3)]
    assert [answer.counts for answer in counts] == [
        [Count(True, 0, 0)],
        [Count(True, 1, 0)],
        [Count(False, 2, 0)],
    ]
    assert counts[0].found == {"page": {"rows": [1, 2]}}
    assert int(cache.get(window.keys[0])) == 2


@pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL")
def test_a_connection_the_server_closed_is_replaced(user, user_rate_3):
    """The script's connection is kept per thread; when Redis drops it (a restart, an idle
    timeout) the next request reconnects instead of failing or counting twice."""
    client = signed_in_client(user)
    assert client.get(SUBJECTS).status_code == 200
    held = throttling._held.connection
    held.send_command("CLIENT", "ID")
    redis_client = cast(Any, cache).client.get_client(write=True)
    redis_client.client_kill_filter(_id=held.read_response())
    assert client.get(SUBJECTS).status_code == 200
    assert client.get(SUBJECTS).status_code == 200
    assert client.get(SUBJECTS).status_code == 429
