"""Throughput and latency of the study list endpoints against a bare Django JSON view.

    .venv/bin/python bench/study_bench.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/studymate_study \\
        REDIS_URL=redis://127.0.0.1:6379/7 .venv/bin/python bench/study_bench.py

What runs: a temporary database (a SQLite file in a temporary directory, or a fresh PostgreSQL
database `studymate_bench_<random>` next to DATABASE_URL's, dropped at the end) is migrated and
seeded with public subjects and learners who each have private subjects and progress. Then
daphne serves the project's ASGI application in a child process (production settings:
DEBUG off, throttles on with high rates) on a loopback socket, with one extra route,
`/bench/bare/`, a plain `JsonResponse` behind the same middleware. This process is the client:
httpx on asyncio with --connections concurrent connections.

Measured, each for a bounded number of requests:
- `GET /bench/bare/`;
- `GET /api/study/subjects/?page_size=50` and `GET /api/study/progress/?page_size=50`,
  authenticated (JWT): cached (a few learners asking again and again, after one warm-up request
  each) and uncached (every request from a learner not seen before, so each one computes its
  page: per-user cache keys).
Then the bare view and the cached lists once more over a single connection (service time without
queueing). Printed: requests/second, p50 and p99 latency, and throughput as a ratio of the bare
view's at the same concurrency.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

# Production-like settings for the server and this process alike (tokens are signed with the
# same key). Rates high enough that throttles count but never refuse.
BENCH_ENV = {
    "DJANGO_SETTINGS_MODULE": "studymate_api.settings",
    "DEBUG": "false",
    "SECRET_KEY": "bench-" + "k" * 60,
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "false",
    "SECURE_HSTS_SECONDS": "0",
    "SECURE_HSTS_PRELOAD": "false",
    "THROTTLE_USER_RATE": "1000000/min",
    "THROTTLE_ANON_RATE": "1000000/min",
    "LOG_LEVEL": "WARNING",
    # Under daphne every request runs its sync code in a thread of its own, so a persistent
    # connection (the default 60 s) is never reused and piles up until PostgreSQL refuses new
    # clients; without a pool, ASGI needs 0 (a connection per request).
    "DATABASE_CONN_MAX_AGE": "0",
}
for _name, _value in BENCH_ENV.items():
    os.environ.setdefault(_name, _value)

PUBLIC_SUBJECTS = 120
PRIVATE_SUBJECTS_PER_LEARNER = 3
PROGRESS_PER_LEARNER = 12
PAGE = "page_size=50"


# --- the database -------------------------------------------------------------------------------


def point_django_at(database: str) -> None:
    """Before django.setup(): every connection of this process goes to the bench database."""
    from django.conf import settings

    settings.DATABASES["default"]["NAME"] = database
    settings.DATABASES["default"].pop("TEST", None)


@contextmanager
def temporary_database() -> Iterator[str]:
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        with tempfile.TemporaryDirectory(prefix="study-bench-") as directory:
            yield str(Path(directory) / "bench.sqlite3")
        return
    import psycopg

    name = f"studymate_bench_{secrets.token_hex(4)}"
    admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed(learners: int) -> list[str]:
    """Subjects, learners with private subjects and progress; one access token per learner."""
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.utils import timezone
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import User, UserProfile
    from study.models import StudyProgress, Subject

    call_command("migrate", verbosity=0)
    owner = User.objects.create_user("owner@bench.example", None, username="owner")
    public = Subject.objects.bulk_create(
        Subject(
            name=f"Public subject {n:03d}",
            category=f"cat{n % 7}",
            is_public=True,
            created_by=owner,
            description="Shared material " * 4,
        )
        for n in range(PUBLIC_SUBJECTS)
    )
    no_password = make_password(None)
    users = User.objects.bulk_create(
        User(email=f"learner{n}@bench.example", username=f"learner{n}", password=no_password)
        for n in range(learners)
    )
    UserProfile.objects.bulk_create(UserProfile(user=user) for user in users)
    Subject.objects.bulk_create(
        Subject(name=f"Private {n}", created_by=user, is_public=False)
        for user in users
        for n in range(PRIVATE_SUBJECTS_PER_LEARNER)
    )
    now = timezone.now()
    StudyProgress.objects.bulk_create(
        StudyProgress(
            user=user,
            subject=public[(i + n) % PUBLIC_SUBJECTS],
            sessions_count=3,
            total_study_minutes=90,
            last_studied_at=now,
            streak_days=2,
            last_study_date=now.date(),
            completion_percentage=7.5,
        )
        for i, user in enumerate(users)
        for n in range(PROGRESS_PER_LEARNER)
    )
    return [str(AccessToken.for_user(user)) for user in users]


# --- the server (child process) -----------------------------------------------------------------


def bare_view(request: Any) -> Any:
    from django.http import JsonResponse

    return JsonResponse({"status": "ok"})


def _urlpatterns() -> list[Any]:
    from django.urls import include, path

    return [path("bench/bare/", bare_view), path("", include("studymate_api.urls"))]


def serve(database: str, fd: int) -> None:
    from django.conf import settings

    point_django_at(database)
    settings.ROOT_URLCONF = "bench_urls"

    from daphne.endpoints import build_endpoint_description_strings
    from daphne.server import Server

    from studymate_api.asgi import application  # sets Django up

    module = type(sys)("bench_urls")
    module.urlpatterns = _urlpatterns()  # type: ignore[attr-defined]
    sys.modules["bench_urls"] = module

    endpoints = build_endpoint_description_strings(file_descriptor=fd)
    Server(application=application, endpoints=endpoints, verbosity=0).run()


@contextmanager
def server_process(database: str) -> Iterator[str]:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1024)
    port = listener.getsockname()[1]
    command = [sys.executable, __file__, "--serve", database, "--fd", str(listener.fileno())]
    child = subprocess.Popen(command, pass_fds=[listener.fileno()], cwd=PROJECT_DIR)  # noqa: S603
    listener.close()
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_until_up(base, child)
        yield base
    finally:
        child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()


def _wait_until_up(base: str, child: subprocess.Popen[bytes]) -> None:
    import httpx

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise SystemExit("the bench server exited during start-up")
        try:
            if httpx.get(f"{base}/bench/bare/", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit("the bench server did not answer within 30 s")


# --- the client ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    name: str
    connections: int
    requests: int
    seconds: float
    latencies_ms: list[float]
    errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def load(
    base: str, name: str, plan: Sequence[tuple[str, str | None]], connections: int
) -> Result:
    """Runs `plan` ((path, token) pairs) in order over `connections` concurrent connections."""
    import httpx

    queue: asyncio.Queue[tuple[str, str | None]] = asyncio.Queue()
    for item in plan:
        queue.put_nowait(item)
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal errors
        while not queue.empty():
            path, token = queue.get_nowait()
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            started = time.perf_counter()
            response = await client.get(path, headers=headers)
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                errors += 1
                if errors <= 3:
                    print(f"  {name}: HTTP {response.status_code} {response.text[:200]}")

    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(connections)))
        seconds = time.perf_counter() - started
    return Result(name, connections, len(plan), seconds, latencies, errors)


def run(base: str, tokens: list[str], args: argparse.Namespace) -> list[Result]:
    """At --connections: bare, then each list cached and uncached. Then, one connection at a
    time, the same cached reads again: service time without queueing."""
    hot = tokens[: args.connections]
    cold = tokens[args.connections :]
    results: list[Result] = []
    lists = (
        ("subjects", f"/api/study/subjects/?{PAGE}"),
        ("progress", f"/api/study/progress/?{PAGE}"),
    )

    def bench(name: str, plan: Sequence[tuple[str, str | None]], connections: int) -> None:
        results.append(asyncio.run(load(base, name, plan, connections)))

    bench("warm-up", [("/bench/bare/", None)] * 500, args.connections)
    results.clear()
    bench("bare JsonResponse", [("/bench/bare/", None)] * args.requests, args.connections)
    for label, path in lists:
        bench("warm-up", [(path, token) for token in hot], args.connections)
        results.pop()
        plan = [(path, hot[n % len(hot)]) for n in range(args.requests)]
        bench(f"{label} cached", plan, args.connections)
        bench(f"{label} uncached", [(path, token) for token in cold], args.connections)
    sequential = args.requests // 10
    bench("bare JsonResponse", [("/bench/bare/", None)] * sequential, 1)
    for label, path in lists:
        bench(f"{label} cached", [(path, hot[0])] * sequential, 1)
    return results


def report(results: list[Result]) -> None:
    bare = {r.connections: r.rps for r in results if r.name.startswith("bare")}
    backend = "PostgreSQL" if os.environ.get("DATABASE_URL") else "SQLite"
    cache = "Redis" if os.environ.get("REDIS_URL") else "local memory"
    print(f"\ndatabase: {backend}, cache: {cache}, page size 50, daphne, one server process")
    header = f"{'endpoint':<22}{'conns':>6}{'requests':>9}{'req/s':>9}{'p50 ms':>9}"
    print(header + f"{'p99 ms':>9}{'vs bare':>9}{'errors':>7}")
    for r in results:
        print(
            f"{r.name:<22}{r.connections:>6}{r.requests:>9}{r.rps:>9.0f}"
            f"{r.percentile(0.5):>9.1f}{r.percentile(0.99):>9.1f}"
            f"{r.rps / bare[r.connections]:>9.2f}{r.errors:>7}"
        )
    load_average = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"(ratios against the bare view at the same concurrency; load average {load_average})")


def results_json(results: Sequence[Result]) -> str:
    """The rows as one JSON line (`--json`), for bench/run_all.py."""
    return json.dumps(
        [
            {
                "endpoint": r.name,
                "concurrency": r.connections,
                "rps": r.rps,
                "p50_ms": r.percentile(0.5),
                "p95_ms": r.percentile(0.95),
                "p99_ms": r.percentile(0.99),
                "errors": r.errors,
            }
            for r in results
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="per cached/bare run")
    parser.add_argument("--uncached", type=int, default=1500, help="distinct learners, one each")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--json", action="store_true", help="end with the rows as a JSON line")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--fd", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.fd)
        return
    with temporary_database() as database:
        point_django_at(database)
        import django

        django.setup()
        tokens = seed(args.connections + args.uncached)
        from django.db import connections

        from studymate_api.cache import clear_all

        # Learner ids repeat from run to run (a fresh database): retire cached pages of a
        # previous run in a shared Redis.
        clear_all()
        connections.close_all()
        with server_process(database) as base:
            results = run(base, tokens, args)
        report(results)
        if args.json:
            print(results_json(results))


if __name__ == "__main__":
    main()
