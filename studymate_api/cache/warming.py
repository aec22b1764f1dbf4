"""Cache warmers: apps register a function per namespace that fills it ahead of traffic.

A warmer takes no arguments, stores values through a TaggedCache (usually `get_or_set`, so warm
values carry the same keys and tags as the ones requests compute) and may return how many entries
it warmed. Register warmers from an AppConfig.ready(); `manage.py cache_management --warm-all`
runs them after a deploy or a cache flush.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import TypeVar

import structlog

from .keys import check_namespace

logger = structlog.get_logger(__name__)

Warmer = Callable[[], int | None]
W = TypeVar("W", bound=Warmer)

_warmers: dict[str, list[Warmer]] = {}


@dataclasses.dataclass(frozen=True)
class WarmResult:
    namespace: str
    warmer: str
    seconds: float
    entries: int | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def register_warmer(namespace: str, warmer: W) -> W:
    """Add `warmer` to `namespace` (idempotent, so a re-imported module registers once)."""
    check_namespace(namespace)
    registered = _warmers.setdefault(namespace, [])
    if warmer not in registered:
        registered.append(warmer)
    return warmer


def unregister_warmer(namespace: str, warmer: Warmer) -> None:
    registered = _warmers.get(namespace, [])
    if warmer in registered:
        registered.remove(warmer)
    if not registered:
        _warmers.pop(namespace, None)


def warmer_namespaces() -> list[str]:
    return sorted(_warmers)


def warm(namespace: str) -> list[WarmResult]:
    """Run the namespace's warmers. A failing warmer is reported, not raised, so one broken
    warmer does not stop the others."""
    if namespace not in _warmers:
        raise LookupError(f"no cache warmer is registered for namespace {namespace!r}")
    return [_run(namespace, warmer) for warmer in list(_warmers[namespace])]


def warm_all() -> list[WarmResult]:
    return [result for namespace in warmer_namespaces() for result in warm(namespace)]


def _run(namespace: str, warmer: Warmer) -> WarmResult:
    name = getattr(warmer, "__qualname__", repr(warmer))
    started = time.perf_counter()
    try:
        entries = warmer()
    except Exception as error:
        logger.exception("cache_warmer_failed", namespace=namespace, warmer=name)
        seconds = time.perf_counter() - started
        return WarmResult(namespace, name, seconds, error=f"{type(error).__name__}: {error}")
    seconds = time.perf_counter() - started
    logger.info("cache_warmed", namespace=namespace, warmer=name, entries=entries)
    return WarmResult(namespace, name, seconds, entries=entries)
