"""Fixtures starting the real server; see harness.py for how and why it runs this way."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

from tests.e2e.harness import DEAD_DATABASE_URL, run_manage, running_server, server_env

# --- the server's own database ----------------------------------------------------------------


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


@pytest.fixture(scope="session")
def e2e_database_url() -> Iterator[str]:
    """A freshly created and migrated PostgreSQL database, dropped after the session."""
    suite_url = os.environ.get("DATABASE_URL", "").strip()
    if not suite_url:
        pytest.skip(
            "needs DATABASE_URL (PostgreSQL): without it the server would use the project's own "
            "db.sqlite3, whose path no environment variable changes"
        )
    name = f"studymate_e2e_{secrets.token_hex(6)}"
    maintenance_url = _with_database(suite_url, "postgres")
    with psycopg.connect(maintenance_url, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = _with_database(suite_url, name)
    try:
        result = run_manage("migrate", "--noinput", env=server_env(DATABASE_URL=url))
        assert result.returncode == 0, f"migrate failed:\n{result.stdout}\n{result.stderr}"
        yield url
    finally:
        with psycopg.connect(maintenance_url, autocommit=True) as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


# --- servers, one per module ------------------------------------------------------------------


@pytest.fixture(scope="module")
def live_server_url(e2e_database_url: str) -> Iterator[str]:
    """The server on its own migrated database."""
    with running_server(server_env(DATABASE_URL=e2e_database_url)) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def dead_database_server_url() -> Iterator[str]:
    """The server with DATABASE_URL pointing at a PostgreSQL port where nothing listens; each
    request that needs the database gives up after a second (not the pool's 10)."""
    env = server_env(DATABASE_URL=DEAD_DATABASE_URL, DATABASE_POOL_TIMEOUT="1")
    with running_server(env) as base_url:
        yield base_url
