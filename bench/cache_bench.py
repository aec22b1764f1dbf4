"""What TaggedCache costs and saves, on the configured cache backend.

    .venv/bin/python bench/cache_bench.py            # LocMemCache
    REDIS_URL=redis://127.0.0.1:6379/2 .venv/bin/python bench/cache_bench.py

The database is an in-memory SQLite table of study sessions, and the query is the kind the
"progress" namespace caches: one learner's minutes, sessions and average score per subject. The
read mix is skewed (a few learners are read much more than the rest) and a small share of
operations are writes that invalidate the learner's tag, so misses happen as they would in use.

Three ways to answer each read are timed over the same key sequence: the query itself, a plain
`cache.get` of a pre-stored value (the floor for any cache), and `TaggedCache.get_or_set` on a
namespace filled ahead of the reads (every learner read once). Time is bounded by --reads
(default 20,000).
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studymate_api.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.cache import caches  # noqa: E402
from django.core.cache.backends.base import BaseCache  # noqa: E402
from django.core.cache.backends.locmem import LocMemCache  # noqa: E402

from studymate_api.cache import TaggedCache, namespace_stats  # noqa: E402

NAMESPACE = "bench_progress"
SUBJECTS = 12

Progress = list[tuple[int, int, int, float]]


@dataclass(frozen=True)
class Latency:
    p50_us: float
    p95_us: float
    mean_us: float


class StudyDatabase:
    """The source of truth the cache saves us from asking."""

    def __init__(self, learners: int, sessions: int, seed: int) -> None:
        self.connection = sqlite3.connect(":memory:")
        self.connection.execute(
            "CREATE TABLE session (learner_id INTEGER, subject_id INTEGER, minutes INTEGER,"
            " score REAL)"
        )
        self.connection.execute("CREATE INDEX session_learner ON session (learner_id)")
        rng = random.Random(seed)  # noqa: S311 - reproducible data, not a secret
        rows = (
            (learner, rng.randrange(SUBJECTS), rng.randrange(5, 90), rng.random())
            for learner in range(learners)
            for _ in range(sessions)
        )
        self.connection.executemany("INSERT INTO session VALUES (?, ?, ?, ?)", rows)

    def progress(self, learner: int) -> Progress:
        cursor = self.connection.execute(
            "SELECT subject_id, SUM(minutes), COUNT(*), AVG(score) FROM session"
            " WHERE learner_id = ? GROUP BY subject_id ORDER BY subject_id",
            (learner,),
        )
        return [(row[0], row[1], row[2], round(row[3], 3)) for row in cursor]

    def record_session(self, learner: int) -> None:
        self.connection.execute("INSERT INTO session VALUES (?, 0, 30, 0.5)", (learner,))


def read_mix(learners: int, reads: int, write_share: float, seed: int) -> list[tuple[str, int]]:
    """("read" | "write", learner) operations; Zipf-like popularity, like real traffic."""
    rng = random.Random(seed)  # noqa: S311 - reproducible traffic, not a secret
    weights = list(itertools.accumulate(1 / (rank + 1) ** 1.1 for rank in range(learners)))
    learners_read = rng.choices(range(learners), cum_weights=weights, k=reads)
    return [("write" if rng.random() < write_share else "read", n) for n in learners_read]


def measure(
    operations: list[tuple[str, int]],
    read: Callable[[int], object],
    write: Callable[[int], None] | None = None,
) -> Latency:
    """Time each read; writes (when given) run untimed between them."""
    timings: list[int] = []
    for kind, learner in operations:
        if kind == "write":
            if write is not None:
                write(learner)
            continue
        started = time.perf_counter_ns()
        read(learner)
        timings.append(time.perf_counter_ns() - started)
    cuts = statistics.quantiles(timings, n=100)
    return Latency(cuts[49] / 1000, cuts[94] / 1000, statistics.fmean(timings) / 1000)


def _backend(*, needed_entries: int) -> BaseCache:
    """The configured backend, unless it is a LocMemCache too small to hold the working set:
    culling would then evict values and tag versions and measure the culling, not the cache."""
    backend = caches[settings.CACHE_ALIAS]
    options = settings.CACHES[settings.CACHE_ALIAS].get("OPTIONS", {})
    max_entries = int(options.get("MAX_ENTRIES", 300))
    if not isinstance(backend, LocMemCache) or max_entries >= needed_entries:
        return backend
    print(
        f"note: the configured LocMemCache holds {max_entries} entries and this run needs "
        f"{needed_entries}; measuring on a private LocMemCache with room for them"
    )
    return LocMemCache("cache-bench", {"OPTIONS": {"MAX_ENTRIES": 2 * needed_entries}})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=500)
    parser.add_argument("--reads", type=int, default=20_000)
    parser.add_argument(
        "--sessions", type=int, default=400, help="sessions per learner: the query's cost"
    )
    parser.add_argument("--write-share", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=7)
    options = parser.parse_args()

    database = StudyDatabase(options.learners, options.sessions, options.seed)
    operations = read_mix(options.learners, options.reads, options.write_share, options.seed)
    backend = _backend(needed_entries=3 * options.learners)
    progress = TaggedCache(NAMESPACE, backend=backend)

    def key(learner: int) -> str:
        return progress.key(user=learner)

    def tagged_read(learner: int) -> Progress:
        return progress.get_or_set(
            key(learner), lambda: database.progress(learner), tags=[f"user:{learner}"]
        )

    def warm_progress() -> int:
        progress.clear()  # a previous run's values must not count as this run's hits
        for learner in range(options.learners):
            tagged_read(learner)
        return int(options.learners)

    def write(learner: int) -> None:
        database.record_session(learner)
        progress.invalidate_tags(f"user:{learner}")

    database_latency = measure(operations, database.progress)

    for learner in range(options.learners):
        backend.set(f"bench_plain:{learner}", database.progress(learner), 300)
    plain_latency = measure(operations, lambda learner: backend.get(f"bench_plain:{learner}"))

    started = time.perf_counter()
    warmed_entries = warm_progress()
    warmed_seconds = time.perf_counter() - started
    before = namespace_stats(NAMESPACE)
    tagged_latency = measure(operations, tagged_read, write)
    after = namespace_stats(NAMESPACE)

    hits, misses = after.hits - before.hits, after.misses - before.misses
    backend_name = type(backend).__name__
    print(f"backend: {backend_name} ({settings.REDIS_URL or 'in-process'})")
    print(
        f"mix: {options.reads} operations over {options.learners} learners "
        f"({options.sessions} sessions each), "
        f"{options.write_share:.0%} writes invalidating the learner's tag; "
        f"warmed {warmed_entries} entries in {warmed_seconds:.2f} s"
    )
    print(
        f"hit ratio (warmed namespace): {hits / (hits + misses):.2%} ({hits} hits, {misses} misses)"
    )
    print("latency per read         p50 us    p95 us   mean us")
    for name, latency in (
        ("database query", database_latency),
        ("plain cache.get", plain_latency),
        ("TaggedCache.get_or_set", tagged_latency),
    ):
        print(f"  {name:<22} {latency.p50_us:8.1f}  {latency.p95_us:8.1f}  {latency.mean_us:8.1f}")
    print("ratios (p50 / mean)")
    print(
        f"  get_or_set vs plain get: {tagged_latency.p50_us / plain_latency.p50_us:.2f}x / "
        f"{tagged_latency.mean_us / plain_latency.mean_us:.2f}x the cost"
    )
    print(
        f"  database vs get_or_set:  {database_latency.p50_us / tagged_latency.p50_us:.2f}x / "
        f"{database_latency.mean_us / tagged_latency.mean_us:.2f}x faster with the cache"
    )


if __name__ == "__main__":
    main()
