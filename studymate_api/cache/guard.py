"""Backend failures are absorbed, counted and logged, never raised into a request."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import structlog
from django.utils.module_loading import import_string
from redis.exceptions import RedisError

from . import stats

logger = structlog.get_logger(__name__)

R = TypeVar("R")

# django-redis re-raises the redis-py error behind a failure (connection refused, timeouts),
# wrappers may let its own ConnectionInterrupted through, and socket errors that escape redis-py
# are OSErrors. Anything else is a bug and propagates. (django-redis has no type information,
# hence the import by name.)
BACKEND_ERRORS: tuple[type[Exception], ...] = (
    RedisError,
    OSError,
    import_string("django_redis.exceptions.ConnectionInterrupted"),
)


class BackendGuard:
    """Runs one namespace's backend calls; a failure becomes the caller's fallback."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace

    def call(self, operation: str, call: Callable[[], R], fallback: R) -> R:
        try:
            return call()
        except BACKEND_ERRORS as error:
            self._failed(operation, error)
            return fallback

    def attempt(self, operation: str, call: Callable[[], object]) -> bool:
        """Run a write; False only when the backend failed (a lost `add` is an answer)."""
        try:
            call()
        except BACKEND_ERRORS as error:
            self._failed(operation, error)
            return False
        return True

    def _failed(self, operation: str, error: Exception) -> None:
        stats.record_error(self.namespace)
        logger.warning(
            "cache_backend_error",
            namespace=self.namespace,
            operation=operation,
            error_type=type(error).__name__,
            error=str(error),
        )
