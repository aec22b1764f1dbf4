"""Redis stopped under a running server: the API keeps serving from PostgreSQL (every cache read
is a miss), the full health report names the cache as unavailable while liveness and readiness
hold, and once Redis is back the cache fills and hits again.

Both services are private to the test (see conftest.py): the Redis is killed outright, and comes
back empty on the same port, as after a crash without persistence.
"""

from __future__ import annotations

import secrets
import subprocess
from collections.abc import Iterator

import httpx
import pytest
import redis

from tests.e2e.harness import http_client, running_server, server_env
from tests.faults.conftest import PrivatePostgres, PrivateRedis, migrate, wait_for
from tests.platform.cache.conftest import _wait_until_up

pytestmark = pytest.mark.e2e

PASSWORD = "Correct-horse-42"
SUBJECTS = "/api/study/subjects/"


@pytest.fixture
def redis_probe(private_redis: PrivateRedis) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(private_redis.url, socket_connect_timeout=1)
    yield client
    client.close()


def _restart(server: PrivateRedis) -> None:
    """The same redis-server command on the same port: the server's clients reconnect to it."""
    server.process = subprocess.Popen(
        server.process.args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    port = int(server.url.rsplit(":", 1)[1].split("/")[0])
    _wait_until_up(port)


def _keyspace_hits(probe: redis.Redis) -> int:
    return int(probe.info("stats")["keyspace_hits"])


def _subject_names(api: httpx.Client, headers: dict[str, str]) -> set[str]:
    response = api.get(SUBJECTS, params={"page_size": 100}, headers=headers)
    assert response.status_code == 200, response.text
    return {item["name"] for item in response.json()["results"] if not item["is_public"]}


def _cache_status(api: httpx.Client) -> tuple[int, str]:
    response = api.get("/health/")
    assert response.headers["content-type"].startswith("application/json"), response.text
    return response.status_code, response.json()["checks"]["cache"]["status"]


def _create(api: httpx.Client, headers: dict[str, str], name: str) -> httpx.Response:
    return api.post(SUBJECTS, json={"name": name, "is_public": False}, headers=headers)


def test_redis_outage_and_recovery(
    private_postgres: PrivatePostgres, private_redis: PrivateRedis, redis_probe: redis.Redis
) -> None:
    migrate(private_postgres.url)
    env = server_env(DATABASE_URL=private_postgres.url, REDIS_URL=private_redis.url)
    with running_server(env) as base_url, http_client(base_url) as api:
        tag = secrets.token_hex(4)
        account = {"email": f"redis-{tag}@example.com", "username": f"redis_{tag}"}
        registered = api.post("/api/auth/register/", json={**account, "password": PASSWORD})
        assert registered.status_code == 201, registered.text
        headers = {"Authorization": f"Bearer {registered.json()['access']}"}
        assert _create(api, headers, "Before").status_code == 201

        # Healthy: the second identical read is served from Redis.
        assert _subject_names(api, headers) == {"Before"}
        hits = _keyspace_hits(redis_probe)
        assert _subject_names(api, headers) == {"Before"}
        assert _keyspace_hits(redis_probe) > hits
        assert _cache_status(api) == (200, "ok")

        private_redis.stop()

        # Reads are cache misses answered from PostgreSQL, and stay correct.
        assert _subject_names(api, headers) == {"Before"}
        assert _subject_names(api, headers) == {"Before"}
        status, cache = _cache_status(api)
        assert (status, cache) == (503, "unavailable")
        assert api.get("/health/alive/").status_code == 200
        # Readiness looks at the database only: losing the cache must not pull pods out.
        assert api.get("/health/ready/").status_code == 200
        # Writes go to PostgreSQL; the cache invalidation they schedule fails quietly.
        during = _create(api, headers, "During")
        assert during.status_code == 201, during.text
        assert _subject_names(api, headers) == {"Before", "During"}
        login = {"email": account["email"], "password": PASSWORD}
        assert api.post("/api/auth/login/", json=login).status_code == 200

        _restart(private_redis)

        wait_for(lambda: _cache_status(api) == (200, "ok"), timeout=15, what="cache health ok")
        # The restarted Redis is empty: the first read fills it, the next one hits.
        assert _subject_names(api, headers) == {"Before", "During"}
        hits = _keyspace_hits(redis_probe)
        assert _subject_names(api, headers) == {"Before", "During"}
        assert _keyspace_hits(redis_probe) > hits
        # A write after recovery invalidates the cached list: no stale read.
        assert _create(api, headers, "After").status_code == 201
        assert _subject_names(api, headers) == {"Before", "During", "After"}
