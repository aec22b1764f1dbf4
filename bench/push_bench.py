"""In-app pushes from sync code: time, CPU and threads per push, baseline tree beside this one.

    .venv/bin/python bench/push_bench.py [--pushes 2000] [--baseline WORKTREE]

A push is what a Celery worker does for an in-app notification:
`notifications.channels.in_app.InAppSender().send(delivery)` from a plain thread with no event
loop (the worker's, or granian's). Each tree runs in its own process (its code first on
sys.path; the shared virtualenv): the baseline (`--baseline`, a git worktree of an earlier
commit, used as it is) and this one, on each channel layer:

- embedded: no REDIS_URL, the in-memory layer;
- Redis: REDIS_URL (else redis://127.0.0.1:6379/12 if it answers), channels-redis pub/sub. A
  listener on its own loop and thread (a socket's stand-in) joins the learner's group and
  counts what arrives, so a push that was not delivered shows.

Per push: wall µs, CPU µs (every thread of the process), threads started (`Thread.start`
calls) and the threads still alive at the end. No database: the notification and its delivery
are unsaved model instances.

Measured on the 2-core machine with other work beside it (2,000 pushes, baseline 6ec4ff3): on
Redis pub/sub 1,790 -> 166 µs a push, CPU 1,529 -> 92 µs, threads started 1 -> 0 a push, every
push delivered. On the in-memory layer from a plain thread nothing changes (about 500 µs, one
thread a push): sends from sync code keep `async_to_sync` there, which under the embedded
server runs on the server's loop (the layer's queues are its), and a plain thread with the
in-memory layer is only a test or a command, with no socket to reach.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
FALLBACK_REDIS_URL = "redis://127.0.0.1:6379/12"
USER_ID = 424_242


def measure(pushes: int) -> dict[str, Any]:
    """Runs in the child process, on the tree first on sys.path."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studymate_api.settings")
    import django

    django.setup()
    from channels.layers import get_channel_layer
    from django.utils import timezone

    from notifications.channels.in_app import InAppSender
    from notifications.models import DeliveryAttempt, Notification
    from realtime.broadcast import learner_group

    started_threads = 0
    original_start = threading.Thread.start

    def counting_start(thread: threading.Thread) -> None:
        nonlocal started_threads
        started_threads += 1
        original_start(thread)

    notification = Notification(
        user_id=USER_ID, kind="summary_ready", title="Ready", body="Your summary is ready.", data={}
    )
    notification.created_at = timezone.now()
    delivery = DeliveryAttempt(notification=notification, channel="in_app")
    layer = get_channel_layer()
    listener = _Listener(learner_group(USER_ID)) if _is_redis(layer) else None
    sender = InAppSender()
    for _ in range(20):  # warm-up: imports, the first connection
        sender.send(delivery)
    if listener is not None:
        listener.wait_for(20)
        listener.received = 0
    threading.Thread.start = counting_start  # type: ignore[method-assign,assignment]
    try:
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(pushes):
            sender.send(delivery)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        threading.Thread.start = original_start  # type: ignore[method-assign]
    delivered = listener.wait_for(pushes) if listener is not None else None
    return {
        "layer": type(layer).__name__,
        "wall_us": wall / pushes * 1e6,
        "cpu_us": cpu / pushes * 1e6,
        "threads_per_push": started_threads / pushes,
        "threads_alive": threading.active_count(),
        "delivered": delivered,
    }


def _is_redis(layer: Any) -> bool:
    return type(layer).__module__.startswith("channels_redis.")


class _Listener:
    """A socket's stand-in: a channel in the group, read on its own loop."""

    def __init__(self, group: str) -> None:
        from channels.layers import get_channel_layer

        self.layer = get_channel_layer()
        self.group = group
        self.received = 0
        self.ready = threading.Event()
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        asyncio.run_coroutine_threadsafe(self._listen(), self.loop)
        if not self.ready.wait(10):
            raise SystemExit("the listener did not join the group")

    async def _listen(self) -> None:
        channel = await self.layer.new_channel()
        await self.layer.group_add(self.group, channel)
        self.ready.set()
        while True:
            await self.layer.receive(channel)
            self.received += 1

    def wait_for(self, count: int, seconds: float = 10.0) -> int:
        deadline = time.monotonic() + seconds
        while self.received < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.received


def run_child(tree: Path, pushes: int, redis_url: str | None) -> dict[str, Any]:
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    env.update(PYTHONPATH=str(tree), LOG_LEVEL="WARNING")
    if redis_url:
        env["REDIS_URL"] = redis_url
    completed = subprocess.run(  # noqa: S603 - this script, on a tree we name
        [sys.executable, str(Path(__file__).resolve()), "--child", "--pushes", str(pushes)],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise SystemExit(f"{tree}: {completed.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def redis_url_for_bench() -> str | None:
    url = os.environ.get("REDIS_URL", "").strip() or FALLBACK_REDIS_URL
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError:
        return None
    finally:
        client.close()
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--pushes", type=int, default=2_000)
    parser.add_argument(
        "--baseline", type=Path, default=None, help="a worktree of an earlier commit to run first"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.pushes)))
        return
    redis_url = redis_url_for_bench()
    layers: list[tuple[str, str | None]] = [("embedded (in-memory layer)", None)]
    layers.append((f"Redis pub/sub ({redis_url})", redis_url) if redis_url else ("no Redis", None))
    print(f"{args.pushes} in-app pushes from a thread without an event loop")
    print(
        f"{'layer':<44}{'tree':<10}{'µs/push':>9}{'cpu µs':>9}{'threads/push':>13}"
        f"{'alive':>7}{'delivered':>11}"
    )
    for label, url in layers:
        if label == "no Redis":
            print("Redis: not reachable (set REDIS_URL)")
            continue
        trees = [("now", PROJECT_DIR)]
        if args.baseline is not None:
            trees.insert(0, ("baseline", args.baseline.resolve()))
        for name, tree in trees:
            result = run_child(tree, args.pushes, url)
            delivered = "-" if result["delivered"] is None else str(result["delivered"])
            print(
                f"{label:<44}{name:<10}{result['wall_us']:>9.0f}{result['cpu_us']:>9.0f}"
                f"{result['threads_per_push']:>13.2f}{result['threads_alive']:>7}{delivered:>11}"
            )


if __name__ == "__main__":
    main()
