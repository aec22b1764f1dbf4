"""Events per second through StreamProcessor: Redis with one and two consumers, and in-process.

    .venv/bin/python bench/stream_bench.py [--events 100000] [--batch 100] [--seconds 10]
                                           [--handler-ms 2]

Each consume figure drains a fresh backlog of `--events` events, first with a no-op handler
(the cost of the processor and the store: read, decode, hand over, acknowledge), then with a
handler that waits `--handler-ms` per batch, like a database write. Two consumers of one group
run as two threads of one process and, on Redis, as two processes. Every scenario stops after
`--seconds`. Redis: REDIS_URL, else redis://127.0.0.1:6379/15 if it answers; the bench deletes
its keys afterwards."""

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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=10.0, help="limit per scenario")
    parser.add_argument("--handler-ms", type=float, default=2.0, help="I/O time per batch")
    args = parser.parse_args()
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
