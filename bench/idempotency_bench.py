"""What the Idempotency-Key check costs a request, beside the same view without it.

    .venv/bin/python bench/idempotency_bench.py   # SQLite; then PostgreSQL if DATABASE_URL is set
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/studymate_idem \\
        .venv/bin/python bench/idempotency_bench.py [--requests 500] [--rounds 6]

Each database runs in a child process on a temporary database (a SQLite file in a temporary
directory with the project's SQLite options, or a fresh PostgreSQL database next to
DATABASE_URL's, dropped at the end; bench/study_bench.py's helpers), migrated, with one learner.
In process, through DRF's whole view stack (APIRequestFactory, forced authentication so no JWT
decoding, the response rendered), one small JSON POST view answers 201 with a `Location`:

- `plain`: the view without the decorator: the baseline;
- `no header`: the `@idempotent` view, no `Idempotency-Key` (what every other client pays);
- `new key`: a fresh key per request: the claim (an INSERT in its own transaction) and the
  stored answer (a conditional UPDATE): the cost of a first request;
- `replay`: one key again and again: the failed INSERT and the SELECT of the stored answer,
  and no view.

Variants alternate in rounds of --requests each (the first round of each is a discarded
warm-up: imports, connection, statement caches), so machine load drifts over all of them alike.
Printed per variant: the database statements of one request, wall time (mean, p50, p95) and this
thread's CPU time in microseconds, and the differences to `plain` (target: under 1 ms a request
at p50), plus the load average before and after. On a busy machine the wall times carry
scheduling stalls (each database round trip waits for the server process to get a core; see
p95 and the load average); the CPU column is what the check itself spends in the web process.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# bench/study_bench.py: importing it sets the production-like environment (BENCH_ENV).
sys.path.insert(0, str(Path(__file__).resolve().parent))

from study_bench import point_django_at, temporary_database

TARGET_MS = 1.0
VARIANTS = ("plain", "no header", "new key", "replay")


@dataclass(frozen=True)
class Timing:
    variant: str
    samples_us: list[float]
    cpu_us: list[float]  # this thread's CPU time: what the machine's load does not inflate
    queries: int  # database statements of one request

    @property
    def cpu(self) -> float:
        return statistics.fmean(self.cpu_us)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.samples_us)

    @property
    def p50(self) -> float:
        return statistics.median(self.samples_us)

    @property
    def p95(self) -> float:
        return statistics.quantiles(self.samples_us, n=20)[18]


def _views() -> tuple[Callable[..., Any], Callable[..., Any]]:
    from rest_framework.request import Request
    from rest_framework.response import Response
    from rest_framework.views import APIView

    from studymate_api.core.idempotency import idempotent

    def answer(request: Request) -> Response:
        body = {"id": 1, "status": "pending", "echo": request.data}
        return Response(body, status=201, headers={"Location": "http://bench/api/things/1/"})

    class PlainApi(APIView):
        def post(self, request: Request) -> Response:
            return answer(request)

    class IdempotentApi(APIView):
        @idempotent
        def post(self, request: Request) -> Response:
            return answer(request)

    return PlainApi.as_view(), IdempotentApi.as_view()


def measure(requests: int, rounds: int) -> list[Timing]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIRequestFactory, force_authenticate

    from accounts.models import User

    user = User.objects.create_user("bench@bench.example", None, username="bench")
    plain, decorated = _views()
    factory = APIRequestFactory()
    body = {"subject_id": 1, "content": "x" * 500, "summary_type": "brief"}
    replay_key = "bench-replay"

    def one(view: Callable[..., Any], key: str | None) -> tuple[float, float]:
        headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
        request = factory.post("/api/bench/", body, format="json", **headers)
        force_authenticate(request, user=user)
        cpu_started = time.thread_time_ns()
        started = time.perf_counter_ns()
        response = view(request)
        response.render()
        elapsed = (time.perf_counter_ns() - started) / 1000
        cpu = (time.thread_time_ns() - cpu_started) / 1000
        assert response.status_code == 201, response.content
        return elapsed, cpu

    runs: dict[str, Callable[[], tuple[float, float]]] = {
        "plain": lambda: one(plain, None),
        "no header": lambda: one(decorated, None),
        "new key": lambda: one(decorated, uuid.uuid4().hex),
        "replay": lambda: one(decorated, replay_key),
    }
    samples: dict[str, list[float]] = {name: [] for name in VARIANTS}
    cpu: dict[str, list[float]] = {name: [] for name in VARIANTS}
    for round_number in range(rounds + 1):
        for name in VARIANTS:
            measured = [runs[name]() for _ in range(requests)]
            if round_number:  # round 0 warms up
                samples[name].extend(wall for wall, _cpu in measured)
                cpu[name].extend(used for _wall, used in measured)
    queries = {}
    for name in VARIANTS:
        with CaptureQueriesContext(connection) as captured:
            runs[name]()
        queries[name] = len(captured.captured_queries)
    return [Timing(name, samples[name], cpu[name], queries[name]) for name in VARIANTS]


def report(backend: str, timings: list[Timing], load_before: str) -> None:
    from studymate_api.core.models import IdempotencyKey

    base = timings[0]
    print(f"\n{backend}: {len(base.samples_us)} requests per variant, after a warm-up round")
    print(
        f"{'variant':<12}{'queries':>8}{'mean us':>9}{'p50 us':>8}{'p95 us':>8}{'cpu us':>8}"
        f"{'+p50 ms':>9}{'+mean ms':>9}{'+cpu ms':>9}"
    )
    for t in timings:
        print(
            f"{t.variant:<12}{t.queries:>8}{t.mean:>9.0f}{t.p50:>8.0f}{t.p95:>8.0f}{t.cpu:>8.0f}"
            f"{(t.p50 - base.p50) / 1000:>9.3f}{(t.mean - base.mean) / 1000:>9.3f}"
            f"{(t.cpu - base.cpu) / 1000:>9.3f}"
        )
    worst = max((t.p50 - base.p50) / 1000 for t in timings)
    verdict = "under" if worst < TARGET_MS else "OVER"
    print(
        f"worst added p50 {worst:.3f} ms a request ({verdict} the {TARGET_MS:.0f} ms target; "
        f"the mean carries the machine's scheduling stalls, see p95); "
        f"{IdempotencyKey.objects.count()} keys stored"
    )
    load_after = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"(load average before {load_before}, after {load_after}; {os.cpu_count()} cores)")


def run_child(backend: str, requests: int, rounds: int) -> None:
    load_before = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    with temporary_database() as database:
        point_django_at(database)
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        timings = measure(requests, rounds)
        report(f"{backend} ({connection.vendor})", timings, load_before)
        connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500, help="requests per variant a round")
    parser.add_argument("--rounds", type=int, default=6, help="measured rounds (plus a warm-up)")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.backend:
        run_child(args.backend, args.requests, args.rounds)
        return
    backends = [("sqlite", {k: v for k, v in os.environ.items() if k != "DATABASE_URL"})]
    if os.environ.get("DATABASE_URL", "").strip():
        backends.append(("postgresql", dict(os.environ)))
    status = 0
    for backend, env in backends:
        arguments = ["--backend", backend, "--requests", str(args.requests)]
        completed = subprocess.run(  # noqa: S603 - this script
            [sys.executable, __file__, *arguments, "--rounds", str(args.rounds)],
            env=env,
            check=False,
        )
        status = status or completed.returncode
    raise SystemExit(status)


if __name__ == "__main__":
    main()
