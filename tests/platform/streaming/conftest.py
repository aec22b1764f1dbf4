"""Processors on both backends: in-process always, real Redis too when REDIS_URL is set.

Each test gets its own key prefix and its keys are deleted afterwards. Processors made by one
test share one store (one in-memory backend, or the same Redis), like processes sharing Redis.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from django.conf import settings

from studymate_api.streaming import (
    InMemoryStreamBackend,
    RedisStreamBackend,
    StreamBackend,
    StreamConfig,
    StreamProcessor,
)

BACKENDS = ["memory", "redis"] if settings.REDIS_URL else ["memory"]

# Small numbers keep the suite fast: idle and retry times of tens of milliseconds.
FAST = {"batch_size": 10, "block_ms": 20, "claim_idle_ms": 100, "retry_delay_ms": 0}

MakeProcessor = Callable[..., StreamProcessor]


@pytest.fixture
def key_prefix() -> str:
    return f"test:stream:{uuid.uuid4().hex[:12]}:"


@pytest.fixture
def redis_client(key_prefix: str) -> Iterator[redis.Redis]:
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL")
    client = redis.Redis.from_url(settings.REDIS_URL, decode_responses=True)
    yield client
    keys = list(client.scan_iter(match=f"{key_prefix}*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture(params=BACKENDS)
def backend_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_processor(
    backend_kind: str, key_prefix: str, request: pytest.FixtureRequest
) -> MakeProcessor:
    memory = InMemoryStreamBackend()
    if backend_kind == "redis":
        request.getfixturevalue("redis_client")  # deletes the test's keys afterwards

    def make(**overrides: Any) -> StreamProcessor:
        config = StreamConfig(**{**FAST, "key_prefix": key_prefix, **overrides})
        backend: StreamBackend = memory
        if backend_kind == "redis":
            redis_backend = RedisStreamBackend.from_url(
                str(settings.REDIS_URL), key_prefix=key_prefix, block_ms=config.block_ms
            )
            request.addfinalizer(redis_backend.client.close)
            backend = redis_backend
        return StreamProcessor(config, backend=backend)

    return make


class Recorder:
    """A batch handler that records what it saw and can be told to fail."""

    def __init__(self, fail_on: set[Any] | None = None) -> None:
        self.batches: list[list[dict[str, Any]]] = []
        self.deliveries: list[tuple[str, int]] = []
        self.fail_on: set[Any] = fail_on or set()

    def __call__(self, batch: Any) -> None:
        self.batches.append([message.payload for message in batch])
        self.deliveries += [(message.id, message.deliveries) for message in batch]
        poisoned = [m.payload["n"] for m in batch if m.payload.get("n") in self.fail_on]
        if poisoned:
            raise ValueError(f"cannot handle {poisoned}")

    @property
    def seen(self) -> list[Any]:
        return [payload["n"] for batch in self.batches for payload in batch]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()
