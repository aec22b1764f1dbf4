"""PostgreSQL stopped under a running server: readiness fails, liveness holds, the API answers a
clean 503 envelope (never a 500 or an HTML page), and once PostgreSQL is back every row written
before the outage is still there.

The database is a private cluster (see conftest.py) stopped with `pg_ctl stop -m immediate`, the
crash-like stop: the server's open connections are cut mid-flight and PostgreSQL recovers from its
WAL on the next start.
"""

from __future__ import annotations

import secrets
from typing import Any

import httpx
import pytest

from tests.e2e.harness import assert_error, http_client, running_server, server_env
from tests.faults.conftest import PrivatePostgres, migrate, wait_for

pytestmark = pytest.mark.e2e

PASSWORD = "Correct-horse-42"
SUBJECTS = "/api/study/subjects/"


def _register(api: httpx.Client) -> dict[str, str]:
    tag = secrets.token_hex(4)
    account = {"email": f"fault-{tag}@example.com", "username": f"fault_{tag}"}
    response = api.post("/api/auth/register/", json={**account, "password": PASSWORD})
    assert response.status_code == 201, response.text
    return {**account, "access": response.json()["access"]}


def _create_subject(api: httpx.Client, headers: dict[str, str], name: str) -> dict[str, Any]:
    payload = {"name": name, "description": "kept across the outage", "is_public": False}
    response = api.post(SUBJECTS, json=payload, headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _own_subject_ids(api: httpx.Client, headers: dict[str, str]) -> set[int]:
    response = api.get(SUBJECTS, params={"page_size": 100}, headers=headers)
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["results"] if not item["is_public"]}


def _ready(api: httpx.Client) -> bool:
    try:
        return api.get("/health/ready/").status_code == 200
    except httpx.TransportError:
        return False


def test_database_outage_and_recovery(private_postgres: PrivatePostgres) -> None:
    migrate(private_postgres.url)
    # A request waits this long for a pooled connection before its 503; short keeps the test fast.
    database_env = {"DATABASE_URL": private_postgres.url, "DATABASE_POOL_TIMEOUT": "2"}
    with (
        running_server(server_env(**database_env)) as base_url,
        http_client(base_url) as api,
    ):
        account = _register(api)
        headers = {"Authorization": f"Bearer {account['access']}"}
        created = [_create_subject(api, headers, f"Subject {n}") for n in range(3)]
        assert _own_subject_ids(api, headers) == {subject["id"] for subject in created}

        private_postgres.stop_immediately()

        ready = api.get("/health/ready/")
        assert ready.status_code == 503, ready.text
        assert ready.json()["checks"]["database"]["status"] == "unavailable"
        alive = api.get("/health/alive/")
        assert alive.status_code == 200, alive.text
        assert alive.json() == {"status": "ok"}
        # Reads, writes and sign-ins all hit the database: each is the 503 envelope.
        assert_error(api.get(SUBJECTS, headers=headers), 503, "service_unavailable")
        assert_error(
            api.get(f"{SUBJECTS}{created[0]['id']}/", headers=headers), 503, "service_unavailable"
        )
        new = {"name": "Written during the outage", "is_public": False}
        outage_write = api.post(SUBJECTS, json=new, headers=headers)
        assert_error(outage_write, 503, "service_unavailable")
        assert outage_write.headers.get("Retry-After"), outage_write.headers
        login = {"email": account["email"], "password": PASSWORD}
        assert_error(api.post("/api/auth/login/", json=login), 503, "service_unavailable")

        private_postgres.start()

        wait_for(lambda: _ready(api), timeout=10, what="readiness back to 200")
        relogin = api.post("/api/auth/login/", json=login)
        assert relogin.status_code == 200, relogin.text
        # Nothing written before the crash-like stop was lost; the refused write left no row.
        assert _own_subject_ids(api, headers) == {subject["id"] for subject in created}
        for subject in created:
            fetched = api.get(f"{SUBJECTS}{subject['id']}/", headers=headers)
            assert fetched.status_code == 200, fetched.text
            assert fetched.json()["name"] == subject["name"]
        after = _create_subject(api, headers, "Written after recovery")
        assert _own_subject_ids(api, headers) == {s["id"] for s in [*created, after]}
