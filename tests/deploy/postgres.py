"""Throwaway PostgreSQL databases on the suite's server (DATABASE_URL), for tests that need an
empty database of their own rather than the e2e one."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from psycopg import sql

from tests.e2e.conftest import _with_database


def suite_database_url() -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        pytest.skip("needs DATABASE_URL (PostgreSQL)")
    return url


@contextmanager
def empty_database(prefix: str) -> Iterator[str]:
    """Creates `<prefix>_<random>`, yields its URL, drops it (closing any connection left)."""
    suite_url = suite_database_url()
    name = f"{prefix}_{secrets.token_hex(5)}"
    maintenance_url = _with_database(suite_url, "postgres")
    with psycopg.connect(maintenance_url, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield _with_database(suite_url, name)
    finally:
        with psycopg.connect(maintenance_url, autocommit=True) as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
