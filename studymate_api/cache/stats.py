"""Per-namespace cache statistics: in process (`cache_stats()`) and as Prometheus metrics.

A read is a hit when the caller got its value without computing it: a fresh value, a stale value
served within the grace window, or a value another caller computed while this one waited. So the
hit ratio is the share of reads that spared the database.

The in-process numbers belong to this process only; the Prometheus counters are what adds up
across workers (hit ratio there: rate(hits) / (rate(hits) + rate(misses))).
"""

from __future__ import annotations

import dataclasses
import threading

from prometheus_client import Counter, Gauge, Histogram

_HITS = Counter(
    "studymate_cache_hits", "Reads served from the cache, stale ones included.", ["namespace"]
)
_STALE_HITS = Counter(
    "studymate_cache_stale_hits",
    "Reads served a stale value within the grace window while another caller refreshed it.",
    ["namespace"],
)
_MISSES = Counter("studymate_cache_misses", "Reads the caller had to compute.", ["namespace"])
_SETS = Counter("studymate_cache_sets", "Values written.", ["namespace"])
_INVALIDATIONS = Counter(
    "studymate_cache_invalidations",
    "Tags invalidated, keys deleted and namespaces cleared.",
    ["namespace"],
)
_ERRORS = Counter(
    "studymate_cache_errors",
    "Cache backend failures absorbed (the caller fell back to computing).",
    ["namespace"],
)
_RECOMPUTE = Histogram(
    "studymate_cache_recompute_seconds",
    "Time spent computing values that were missing, expired or refreshed early.",
    ["namespace"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
_HIT_RATIO = Gauge(
    "studymate_cache_hit_ratio",
    "Hit ratio of this process since it started (the counters give the fleet-wide ratio).",
    ["namespace"],
)


@dataclasses.dataclass
class NamespaceStats:
    hits: int = 0
    stale_hits: int = 0
    misses: int = 0
    sets: int = 0
    invalidations: int = 0
    errors: int = 0
    recomputes: int = 0
    recompute_seconds: float = 0.0

    @property
    def reads(self) -> int:
        return self.hits + self.misses

    @property
    def hit_ratio(self) -> float | None:
        """None until the namespace has been read, so "no traffic" never looks like 0%."""
        return self.hits / self.reads if self.reads else None


class _Meters:
    """One namespace's labelled metrics, bound once: `labels()` costs more than the update."""

    def __init__(self, namespace: str) -> None:
        self.hits = _HITS.labels(namespace)
        self.stale_hits = _STALE_HITS.labels(namespace)
        self.misses = _MISSES.labels(namespace)
        self.sets = _SETS.labels(namespace)
        self.invalidations = _INVALIDATIONS.labels(namespace)
        self.errors = _ERRORS.labels(namespace)
        self.recompute = _RECOMPUTE.labels(namespace)
        self.hit_ratio = _HIT_RATIO.labels(namespace)


_lock = threading.Lock()
_book: dict[str, tuple[NamespaceStats, _Meters]] = {}


def cache_stats() -> dict[str, NamespaceStats]:
    """A snapshot of this process's statistics, by namespace."""
    with _lock:
        return {name: dataclasses.replace(entry[0]) for name, entry in sorted(_book.items())}


def namespace_stats(namespace: str) -> NamespaceStats:
    with _lock:
        entry = _book.get(namespace)
        return dataclasses.replace(entry[0]) if entry else NamespaceStats()


def record_hit(namespace: str, *, stale: bool = False) -> None:
    with _lock:
        stats, meters = _entry(namespace)
        stats.hits += 1
        stats.stale_hits += stale
        ratio = stats.hit_ratio
    meters.hits.inc()
    if stale:
        meters.stale_hits.inc()
    meters.hit_ratio.set(ratio or 0.0)


def record_miss(namespace: str) -> None:
    with _lock:
        stats, meters = _entry(namespace)
        stats.misses += 1
        ratio = stats.hit_ratio
    meters.misses.inc()
    meters.hit_ratio.set(ratio or 0.0)


def record_set(namespace: str) -> None:
    with _lock:
        stats, meters = _entry(namespace)
        stats.sets += 1
    meters.sets.inc()


def record_invalidations(namespace: str, count: int) -> None:
    with _lock:
        stats, meters = _entry(namespace)
        stats.invalidations += count
    meters.invalidations.inc(count)


def record_error(namespace: str) -> None:
    with _lock:
        stats, meters = _entry(namespace)
        stats.errors += 1
    meters.errors.inc()


def record_recompute(namespace: str, seconds: float) -> None:
    with _lock:
        stats, meters = _entry(namespace)
        stats.recomputes += 1
        stats.recompute_seconds += seconds
    meters.recompute.observe(seconds)


def _entry(namespace: str) -> tuple[NamespaceStats, _Meters]:
    # Callers hold _lock.
    entry = _book.get(namespace)
    if entry is None:
        entry = _book[namespace] = (NamespaceStats(), _Meters(namespace))
    return entry
