"""Fixtures for the cache tests: the configured backend (LocMemCache, or Redis when REDIS_URL is
set), an independent second client, a private redis-server that a test may kill, a manual clock."""

from __future__ import annotations

import dataclasses
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.utils.module_loading import import_string

requires_redis = pytest.mark.skipif(
    not settings.REDIS_URL, reason="needs REDIS_URL (a real Redis shared by processes)"
)


@pytest.fixture
def namespace() -> str:
    """A namespace of its own, so this test's statistics start at zero."""
    return f"t{secrets.token_hex(6)}"


@pytest.fixture
def second_client() -> BaseCache:
    """A new backend instance for the configured alias: on Redis its own client object, on
    LocMemCache a second instance over the same named storage (as two threads would have)."""
    client = caches.create_connection(settings.CACHE_ALIAS)
    assert client is not caches[settings.CACHE_ALIAS]
    return client


class ManualClock:
    """Wall-clock stand-in for freshness decisions; sleeping would make the tests slow."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@dataclasses.dataclass
class PrivateRedis:
    url: str
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)

    def backend(self) -> BaseCache:
        """A client of the same class the settings use for Redis (plain django-redis when the
        settings use no Redis)."""
        configured = settings.CACHES[settings.CACHE_ALIAS]["BACKEND"]
        path = configured if settings.REDIS_URL else "django_redis.cache.RedisCache"
        backend_class = import_string(path)
        options = {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5}
        backend: BaseCache = backend_class(self.url, {"OPTIONS": options})
        return backend


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    """A redis-server of this test's own, on a free port: stopping it harms nobody else."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = _free_port()
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    command += ["--appendonly", "no", "--dir", str(tmp_path)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = PrivateRedis(f"redis://127.0.0.1:{port}/0", process)
    try:
        _wait_until_up(port)
        yield server
    finally:
        # server.process, not process: a test may have restarted the server (tests/faults).
        if server.process.poll() is None:
            server.stop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_up(port: int) -> None:
    client = redis.Redis(port=port, socket_connect_timeout=0.2)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            return
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
        finally:
            client.close()
