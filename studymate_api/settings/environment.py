"""Reading the environment: one `env` object and parsers that fail loudly, naming the variable."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
_SQLITE_TEST = ".test-db.sqlite3"


def _fail(variable: str, problem: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"{variable}: {problem}")


def read_bool(variable: str, *, default: bool) -> bool:
    raw: str = env.str(variable, default="").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise _fail(variable, f"expected true/false, got {raw!r}")


def read_int(variable: str, *, default: int, minimum: int = 0) -> int:
    raw: str = env.str(variable, default="").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _fail(variable, f"expected an integer, got {raw!r}") from None
    if value < minimum:
        raise _fail(variable, f"must be at least {minimum}, got {value}")
    return value


def read_list(variable: str, *, default: list[str]) -> list[str]:
    raw: str = env.str(variable, default="")
    if not raw.strip():
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def read_database(variable: str = "DATABASE_URL") -> dict[str, Any]:
    """PostgreSQL from the URL when set, the embedded SQLite file otherwise; both through
    django-prometheus's wrappers, which count connections, queries and errors."""
    raw: str = env.str(variable, default="").strip()
    if not raw:
        return {
            "ENGINE": "django_prometheus.db.backends.sqlite3",
            "NAME": str(BASE_DIR / "db.sqlite3"),
            "OPTIONS": {
                "timeout": 20,
                # IMMEDIATE takes the write lock up front, so concurrent writers queue
                # instead of failing with "database is locked" on lock upgrade.
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            # A file, not the shared-cache in-memory default: shared cache locks whole tables
            # and ignores the busy timeout, so concurrent tests would fail where files wait.
            # SQLITE_TEST_NAME lets two test runs share one checkout without sharing a file.
            "TEST": {"NAME": str(BASE_DIR / env.str("SQLITE_TEST_NAME", default=_SQLITE_TEST))},
        }
    parts = urlsplit(raw)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise _fail(variable, "must be a postgres:// URL (unset it to use the embedded SQLite)")
    if not parts.path.strip("/"):
        raise _fail(variable, "the URL names no database")
    _check_port(variable, raw)
    config: dict[str, Any] = environ.Env.db_url_config(raw)
    config["ENGINE"] = "django_prometheus.db.backends.postgresql"
    # Under daphne every request runs in a thread of its own: a kept-alive per-thread connection
    # is never reused and idle ones pile up, while opening one per request costs ~2 ms. A pool
    # (psycopg_pool) shares a bounded set of open connections between the threads instead.
    pool_size = read_int("DATABASE_POOL_MAX_SIZE", default=10)
    config["CONN_MAX_AGE"] = 0
    if pool_size:
        # After a PostgreSQL restart the pooled connections are dead: Django then tests each one
        # on checkout (a loopback round trip) instead of failing the request that draws it.
        config["CONN_HEALTH_CHECKS"] = True
        pool = {
            "min_size": 1,
            "max_size": pool_size,
            # How long a request waits for a connection before answering 503.
            "timeout": read_int("DATABASE_POOL_TIMEOUT", default=10, minimum=1),
            # A failing reconnection backs off exponentially; give it up after a few seconds
            # so the next request starts a fresh attempt and recovery takes seconds, not minutes.
            "reconnect_timeout": 5.0,
        }
        config.setdefault("OPTIONS", {})["pool"] = pool
    return config


def read_redis_url(variable: str = "REDIS_URL") -> str | None:
    raw: str = env.str(variable, default="").strip()
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in {"redis", "rediss", "unix"}:
        raise _fail(variable, f"must be a redis:// or rediss:// URL, got scheme {parts.scheme!r}")
    if parts.scheme != "unix" and not parts.hostname:
        raise _fail(variable, "the URL names no host")
    _check_port(variable, raw)
    return raw


def _check_port(variable: str, url: str) -> None:
    try:
        urlsplit(url).port  # noqa: B018 - urlsplit validates the port lazily
    except ValueError:
        raise _fail(variable, "the port is not a number from 0 to 65535") from None


_RATE = re.compile(r"^\d+/(s|sec|second|m|min|minute|h|hour|d|day)$")


def read_rate(variable: str, *, default: str) -> str:
    """A DRF throttle rate such as `20/min`."""
    raw = env.str(variable, default="").strip() or default
    if not _RATE.match(raw):
        raise _fail(variable, f"expected a rate like 20/min, got {raw!r}")
    return raw


def read_choice(variable: str, *, default: str, choices: tuple[str, ...]) -> str:
    raw = env.str(variable, default="").strip() or default
    for choice in choices:
        if raw.lower() == choice.lower():
            return choice
    raise _fail(variable, f"expected one of {', '.join(choices)}, got {raw!r}")


def read_origins(variable: str) -> list[str]:
    """Comma-separated web origins (`https://app.example.com`, `http://localhost:5173`): a
    scheme, a host and an optional port, nothing else. Browsers send exactly that in `Origin`, so
    anything more (a path, `*`) could never match and is refused at start."""
    origins = []
    for item in read_list(variable, default=[]):
        parts = urlsplit(item.rstrip("/"))
        try:
            parts.port  # noqa: B018 - urlsplit validates the port lazily
        except ValueError:
            raise _fail(variable, f"{item!r} has a bad port") from None
        if (
            parts.scheme not in {"http", "https"}
            or not parts.hostname
            or parts.path
            or parts.query
            or parts.fragment
            or parts.username is not None
        ):
            raise _fail(variable, f"expected origins like https://app.example.com, got {item!r}")
        origins.append(f"{parts.scheme}://{parts.netloc}".lower())
    return origins
