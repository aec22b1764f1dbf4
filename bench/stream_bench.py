"""Events per second through StreamProcessor: Redis with one and two consumers, and in-process.

    .venv/bin/python bench/stream_bench.py [--events 100000] [--batch 100] [--seconds 10]
                                           [--handler-ms 2]

Each consume figure drains a fresh backlog of `--events` events, first with a no-op handler
(the cost of the processor and the store: read, decode, hand over, acknowledge), then with a
handler that waits `--handler-ms` per batch, like a database write. Two consumers of one group
run as two threads of one process and, on Redis, as two processes. Every scenario stops after
`--seconds`. Redis: REDIS_URL, else redis://127.0.0.1:6379/15 if it answers; the bench deletes
its keys afterwards.

    .venv/bin/python bench/stream_bench.py --activity [--baseline WORKTREE] [--profile]

measures the learning activity pipeline instead, per event, on the embedded default and on
Redis: the CPU of publishing one activity event as a socket does (`ActivityPublisher`'s
`publish_many`) and of the analyzer's cycle for it (`process_once`: read, fold into the stored
state, send `metrics` on the channel layer, acknowledge), with a batch of one event (an event a
second from 20 learners: `bench/mixed_bench.py`) and of 20. Each tree runs in its own process
(its code first on sys.path): `--baseline` (a git worktree of an earlier commit, used as it is)
first, then this one. `--profile` prints the analyzer's hottest functions (cProfile, CPU time)
for each. Measured against 6ec4ff3 (3,000 events, µs of CPU per event, analyzer at a batch of
one / of 20): Redis 626 -> 338 / 99 -> 79, publish 74 -> 59; embedded 212 -> 183 / 61 -> 60.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.synchronize import Event as ProcessEvent
from pathlib import Path
from typing import Any

# `--activity` runs its measurements in child processes on a tree of its choice (a baseline).
sys.path.insert(0, os.environ.get("STREAM_BENCH_TREE") or str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studymate_api.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402

from studymate_api.streaming import (  # noqa: E402
    InMemoryStreamBackend,
    RedisStreamBackend,
    StreamBackend,
    StreamConfig,
    StreamMessage,
    StreamProcessor,
)
from studymate_api.streaming.redis_streams import is_reachable  # noqa: E402

PROJECT_DIR = Path(__file__).resolve().parent.parent
FALLBACK_REDIS_URL = "redis://127.0.0.1:6379/15"
STREAM, GROUP = "bench", "bench"


@dataclass(frozen=True)
class Options:
    events: int
    batch: int
    seconds: float
    handler_ms: float


@dataclass(frozen=True)
class Figure:
    label: str
    events: int
    seconds: float

    def line(self) -> str:
        rate = self.events / self.seconds if self.seconds else 0.0
        return f"  {self.label:<30} {self.events:>8} events {self.seconds:7.2f} s {rate:>10,.0f}/s"


class Tally:
    """Counts handled events across consumer threads; notes when the last one was handled."""

    def __init__(self, target: int, handler_ms: float) -> None:
        self.target, self.count, self.last = target, 0, 0.0
        self.handler_seconds = handler_ms / 1000
        self.done = threading.Event()
        self._lock = threading.Lock()

    def handle(self, batch: Sequence[StreamMessage]) -> None:
        checksum = sum(int(message.payload["n"]) for message in batch)  # touch every payload
        if self.handler_seconds:
            time.sleep(self.handler_seconds)  # stands for a database write per batch
        with self._lock:
            self.count += len(batch) if checksum >= 0 else 0
            self.last = time.monotonic()
            if self.count >= self.target:
                self.done.set()


def make_processor(
    options: Options, redis_url: str | None, prefix: str
) -> tuple[StreamProcessor, Callable[[], None]]:
    config = StreamConfig(
        max_length=options.events * 2,
        batch_size=options.batch,
        block_ms=50,
        key_prefix=prefix,
    )
    backend: StreamBackend
    if redis_url:
        redis_backend = RedisStreamBackend.from_url(redis_url, key_prefix=prefix, block_ms=50)
        backend, close = redis_backend, redis_backend.client.close
    else:
        backend, close = InMemoryStreamBackend(), lambda: None
    return StreamProcessor(config, backend=backend), close


def publish_figures(options: Options, redis_url: str | None) -> list[Figure]:
    """Single publishes (one round trip each), then pipelined chunks of 500."""
    processor, close = make_processor(options, redis_url, f"bench:{uuid.uuid4().hex[:8]}:")
    try:
        singles = min(5_000, options.events)
        started = time.monotonic()
        for n in range(singles):
            processor.publish(STREAM, {"n": n})
        single = Figure("publish, one call per event", singles, time.monotonic() - started)
        processor.delete_stream(STREAM)
        started = time.monotonic()
        publish_backlog(processor, options)
        piped = Figure("publish_many, 500 per call", options.events, time.monotonic() - started)
        return [single, piped]
    finally:
        processor.delete_stream(STREAM)
        close()


def publish_backlog(processor: StreamProcessor, options: Options) -> None:
    for start in range(0, options.events, 500):
        end = min(start + 500, options.events)
        processor.publish_many(STREAM, [{"n": n, "kind": "answer"} for n in range(start, end)])


def consume_with_threads(
    processor: StreamProcessor, options: Options, consumers: int, handler_ms: float
) -> Figure:
    tally = Tally(options.events, handler_ms)
    processor.register_handler(STREAM, GROUP, tally.handle)
    stop = threading.Event()
    threads = [
        threading.Thread(
            target=processor.run, args=(STREAM, GROUP, f"t{i}"), kwargs={"stop_event": stop}
        )
        for i in range(consumers)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    tally.done.wait(options.seconds)
    stop.set()
    for thread in threads:
        thread.join()
    label = "1 consumer" if consumers == 1 else f"{consumers} consumer threads"
    return Figure(label, tally.count, (tally.last or time.monotonic()) - started)


def _consumer_process(
    options: Options,
    redis_url: str,
    prefix: str,
    handler_ms: float,
    go: ProcessEvent,
    results: Any,
) -> None:
    processor, close = make_processor(options, redis_url, prefix)
    tally = Tally(options.events, handler_ms)
    processor.register_handler(STREAM, GROUP, tally.handle)
    processor.ensure_group(STREAM, GROUP)
    name = f"p{os.getpid()}"
    go.wait()
    deadline = time.monotonic() + options.seconds
    # Drained when a read comes back empty (the other process took the rest).
    while time.monotonic() < deadline:
        if processor.process_once(STREAM, GROUP, name).delivered == 0:
            break
    results.put((tally.count, tally.last))
    close()


def consume_with_processes(
    options: Options, redis_url: str, prefix: str, handler_ms: float
) -> Figure:
    context = multiprocessing.get_context("fork")
    go, results = context.Event(), context.Queue()
    workers = [
        context.Process(
            target=_consumer_process, args=(options, redis_url, prefix, handler_ms, go, results)
        )
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    time.sleep(0.5)  # both connected and ready
    started = time.monotonic()
    go.set()
    outcomes = [results.get(timeout=options.seconds + 10) for _ in workers]
    for worker in workers:
        worker.join()
    handled = sum(count for count, _ in outcomes)
    last = max(last for _, last in outcomes)
    return Figure("2 consumer processes", handled, (last or started) - started)


def consume_figure(
    options: Options, redis_url: str | None, consumers: str, handler_ms: float
) -> Figure:
    """Drain a fresh backlog with `consumers`: "1", "2 threads" or "2 processes"."""
    prefix = f"bench:{uuid.uuid4().hex[:8]}:"
    processor, close = make_processor(options, redis_url, prefix)
    try:
        processor.ensure_group(STREAM, GROUP)
        publish_backlog(processor, options)
        if consumers == "2 processes" and redis_url:
            return consume_with_processes(options, redis_url, prefix, handler_ms)
        count = 1 if consumers == "1" else 2
        return consume_with_threads(processor, options, count, handler_ms)
    finally:
        processor.delete_stream(STREAM)
        close()


def bench_backend(options: Options, redis_url: str | None) -> None:
    for figure in publish_figures(options, redis_url):
        print(figure.line())
    layouts = ["1", "2 threads", "2 processes"] if redis_url else ["1", "2 threads"]
    for handler_ms in (0.0, options.handler_ms):
        work = f"{handler_ms:g} ms of I/O per batch" if handler_ms else "a no-op handler"
        print(f"  consume a backlog, {work}:")
        for consumers in layouts:
            print("  " + consume_figure(options, redis_url, consumers, handler_ms).line())


def redis_url_for_bench() -> str | None:
    configured: str | None = settings.REDIS_URL
    if configured:
        return configured
    return FALLBACK_REDIS_URL if is_reachable(FALLBACK_REDIS_URL) else None


# --- the learning activity pipeline, per event -------------------------------------------------

ACTIVITY_SESSIONS = 20
ACTIVITY_KINDS = ("focus", "answer", "scroll", "answer", "note")


def activity_child(events: int, profile: bool) -> dict[str, Any]:
    """In the child process: the tree's own code against this process's settings."""
    import cProfile
    import io
    import pstats

    from realtime.analysis import LearnerProfile
    from realtime.broadcast import LoopSender
    from realtime.live_analysis import activity_handler
    from realtime.session_state import SessionMeta, meta_store
    from realtime.streams import ACTIVITY_STREAM, ANALYZER_GROUP

    prefix = f"bench:{uuid.uuid4().hex[:8]}:"
    options = Options(events, 100, 60.0, 0.0)
    processor, close = make_processor(options, settings.REDIS_URL or None, prefix)
    sender = LoopSender()
    processor.register_handler(ACTIVITY_STREAM, ANALYZER_GROUP, activity_handler(sender))
    processor.ensure_group(ACTIVITY_STREAM, ANALYZER_GROUP)
    sessions = []
    for user_id in range(1, ACTIVITY_SESSIONS + 1):
        meta = SessionMeta(
            session_id=str(uuid.uuid4()),
            user_id=900_000 + user_id,
            subject_id=user_id,
            started_at=time.time() - 60,
            goal_minutes=None,
            profile=LearnerProfile(usual_session_minutes=25.0, baseline_pace=None),
            language="en",
        )
        meta_store(meta)  # as the session's start does: the analyzer needs no database
        sessions.append(meta)
    # CPU time, not wall time: the round trips would hide the work otherwise.
    profiler = cProfile.Profile(time.process_time) if profile else None
    sequence = 0

    def one_cycle(batch: int) -> tuple[float, float]:
        nonlocal sequence
        published = []
        for _ in range(batch):
            sequence += 1
            meta = sessions[sequence % len(sessions)]
            kind = ACTIVITY_KINDS[sequence % len(ACTIVITY_KINDS)]
            event: dict[str, Any] = {
                "session_id": meta.session_id,
                "user_id": meta.user_id,
                "event": kind,
                "at": time.time(),
                "ref": sequence,
            }
            if kind == "answer":
                event["correct"] = sequence % 3 != 0
            published.append(event)
        started = time.process_time()
        processor.publish_many(ACTIVITY_STREAM, published)
        publish = time.process_time() - started
        started = time.process_time()
        if profiler is not None:
            profiler.enable()
        stats = processor.process_once(ACTIVITY_STREAM, ANALYZER_GROUP, "bench", block_ms=0)
        if profiler is not None:
            profiler.disable()
        analyze = time.process_time() - started
        if stats.processed != batch:
            raise SystemExit(f"processed {stats.processed} of {batch}: {stats}")
        return publish, analyze

    figures: dict[str, Any] = {}
    try:
        for _ in range(50):  # warm-up: connections, imports, the first states
            one_cycle(1)
        for batch in (1, 20):
            if profiler is not None:
                profiler = cProfile.Profile(time.process_time) if batch == 1 else None
            cycles = max(1, events // batch)
            totals = [one_cycle(batch) for _ in range(cycles)]
            done = cycles * batch
            figures[f"publish_us_{batch}"] = sum(p for p, _a in totals) / done * 1e6
            figures[f"analyze_us_{batch}"] = sum(a for _p, a in totals) / done * 1e6
            if batch == 1 and profiler is not None:
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(30)
                figures["profile"] = out.getvalue()
    finally:
        sender.close()
        processor.delete_stream(ACTIVITY_STREAM)
        close()
    return figures


def activity_in_child(
    tree: Path, events: int, redis_url: str | None, profile: bool
) -> dict[str, Any]:
    import json
    import subprocess

    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    env.update(STREAM_BENCH_TREE=str(tree), LOG_LEVEL="WARNING")
    if redis_url:
        env["REDIS_URL"] = redis_url
    command = [sys.executable, str(Path(__file__).resolve()), "--activity-child"]
    command += ["--events", str(events), *(["--profile"] if profile else [])]
    completed = subprocess.run(  # noqa: S603 - this script, on a tree we name
        command, cwd=tree, env=env, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise SystemExit(f"{tree}: {completed.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def bench_activity(events: int, baseline: Path | None, profile: bool) -> None:
    trees = [("now", PROJECT_DIR)]
    if baseline is not None:
        trees.insert(0, ("baseline", baseline.resolve()))
    redis_url = redis_url_for_bench()
    backends: list[tuple[str, str | None]] = [("embedded", None)]
    if redis_url:
        backends.append((f"Redis {redis_url}", redis_url))
    print(f"The activity pipeline, CPU µs per event ({events} events per figure)")
    print(f"{'backend':<38}{'tree':<10}{'publish':>9}{'analyze, batch 1':>18}{'batch 20':>10}")
    for label, url in backends:
        for name, tree in trees:
            result = activity_in_child(tree, events, url, profile)
            print(
                f"{label:<38}{name:<10}{result['publish_us_1']:>9.0f}"
                f"{result['analyze_us_1']:>18.0f}{result['analyze_us_20']:>10.0f}"
            )
            if profile:
                print(result["profile"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=10.0, help="limit per scenario")
    parser.add_argument("--handler-ms", type=float, default=2.0, help="I/O time per batch")
    parser.add_argument("--activity", action="store_true", help="the activity pipeline instead")
    parser.add_argument("--baseline", type=Path, default=None, help="with --activity")
    parser.add_argument("--profile", action="store_true", help="with --activity")
    parser.add_argument("--activity-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.activity_child:
        import json

        print(json.dumps(activity_child(args.events, args.profile)))
        return
    if args.activity:
        events = args.events if args.events != parser.get_default("events") else 2_000
        bench_activity(events, args.baseline, args.profile)
        return
    options = Options(args.events, args.batch, args.seconds, args.handler_ms)
    logging.getLogger("studymate_api.streaming").setLevel(logging.WARNING)
    print(f"StreamProcessor, {options.events} events, batch size {options.batch}")
    redis_url = redis_url_for_bench()
    if redis_url:
        print(f"Redis Streams ({redis_url}):")
        bench_backend(options, redis_url)
    else:
        print(f"Redis Streams: needs Redis (set REDIS_URL, or run one at {FALLBACK_REDIS_URL})")
    print("In-process backend:")
    bench_backend(options, None)


if __name__ == "__main__":
    main()
