"""`make test` runs pytest-xdist workers; each gets a Redis database of its own (tests/conftest.py).

Redis accepts the database number in the path or in `?db=` (which wins), and a unix socket's URL
has only the query; every form must move, or two workers would share throttles and cache tags.
"""

from __future__ import annotations

from typing import Any

import pytest
from redis import ConnectionPool

from tests.conftest import redis_url_for_worker


@pytest.mark.parametrize(
    ("url", "worker", "expected"),
    [
        ("redis://127.0.0.1:6379/10", 0, "redis://127.0.0.1:6379/10"),
        ("redis://127.0.0.1:6379/10", 3, "redis://127.0.0.1:6379/13"),
        ("redis://127.0.0.1:6379", 1, "redis://127.0.0.1:6379/1"),
        ("rediss://:secret@cache:6380/2?ssl_cert_reqs=none", 1, None),
        ("redis://127.0.0.1:6379/2?db=5", 2, None),
        ("unix:///run/redis.sock", 2, None),
        ("unix:///run/redis.sock?db=4&timeout=1", 1, None),
    ],
)
def test_worker_n_uses_the_database_n_above_the_configured_one(
    url: str, worker: int, expected: str | None
) -> None:
    moved = redis_url_for_worker(url, worker)
    if expected is not None:
        assert moved == expected
    configured, connection = _parsed(url), _parsed(moved)
    assert connection.pop("db", 0) == configured.pop("db", 0) + worker
    # Everything else (host, socket path, password, options) stays as configured.
    assert connection == configured


def _parsed(url: str) -> dict[str, Any]:
    """What redis-py reads from the URL (its helper objects left out: new ones each time)."""
    kwargs = ConnectionPool.from_url(url).connection_kwargs
    return {k: v for k, v in kwargs.items() if isinstance(v, str | int | float | bool)}
