"""Two refreshes racing with one token: at most one new pair (real threads, real database)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from tests.conftest import login_tokens
from tests.factories import UserFactory

RACERS = 4


@pytest.mark.django_db(transaction=True)
def test_concurrent_refreshes_yield_at_most_one_pair():
    user = UserFactory.create()
    refresh = login_tokens(APIClient(), user.email)["refresh"]
    barrier = threading.Barrier(RACERS)
    statuses: list[int] = []

    def race() -> None:
        client = APIClient()
        try:
            barrier.wait(timeout=10)
            statuses.append(client.post("/api/auth/refresh/", {"refresh": refresh}).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=race) for _ in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(statuses) == [200] + [401] * (RACERS - 1)
