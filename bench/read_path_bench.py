"""The read path, before and after, in one run: a cached authenticated page against the bare view.

    git worktree add --detach /tmp/baseline 6ec4ff3      # the code before (any older commit)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/read_path_bench.py --baseline /tmp/baseline \\
        [--current DIR] [--redis redis://127.0.0.1:6379/8 redis://127.0.0.1:6379/9] [--rounds 2]

Each checkout (the baseline, and the current tree: this file's own unless --current) gets its
own database, seeded by that checkout's bench/study_bench.py (migrated by its own migrations),
its own Redis database, and a learner's access token of a real sign-in (with its `sid`, as a
login issues it, so the sign-in check is paid). Then granian in WSGI mode, ONE process pinned
to core 0 with 8 blocking threads (bench/servers_bench.py, the production command line),
serves that checkout while wrk (one thread, closed loop, 16 connections) on core 1 asks for:
- `/bench/bare/`: a JsonResponse behind the whole middleware stack (the framework's limit);
- `/api/study/subjects/?page_size=50` with the token, after warm-up requests (a cache hit).
Rounds alternate the checkouts, so a neighbour's load falls on both. Printed per run: req/s,
p99, errors, the server's CPU per request in microseconds (its process tree's user+system time
over the requests served) and the subjects/bare ratio; the load average before each run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import servers_bench
import study_bench

SERVER = "granian wsgi"
CONNECTIONS = 16

# Run by each checkout's own Python path: its study_bench seeds with its own models and
# migrations; the token comes from its own sign-in service.
_SEED = """
import json, sys
import study_bench
study_bench.point_django_at(sys.argv[1])
import django
django.setup()
study_bench.seed(4)
from accounts.models import User
from accounts.services import tokens_issue
from studymate_api.cache import clear_all
clear_all()
learner = User.objects.get(email="learner0@bench.example")
print(json.dumps({"token": tokens_issue(user=learner).access}))
"""


@dataclass(frozen=True)
class Checkout:
    name: str
    project: Path
    redis_url: str


@dataclass(frozen=True)
class Measured:
    checkout: str
    round: int
    bare: servers_bench.Row
    subjects: servers_bench.Row
    load_average: float

    @staticmethod
    def cpu_us(row: servers_bench.Row) -> float:
        return row.server_cpu / row.rps * 1e6 if row.rps else 0.0

    @property
    def ratio(self) -> float:
        return self.subjects.rps / self.bare.rps if self.bare.rps else 0.0


def seed(checkout: Checkout, database: str) -> str:
    bench_dir = checkout.project / "bench"
    env = {
        **os.environ,
        "REDIS_URL": checkout.redis_url,
        "PYTHONPATH": os.pathsep.join([str(bench_dir), str(checkout.project)]),
    }
    output = subprocess.run(  # noqa: S603 - our own fixed command line
        [sys.executable, "-c", _SEED, database],
        cwd=bench_dir,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    token: str = json.loads(output.strip().splitlines()[-1])["token"]
    return token


def measure(
    checkout: Checkout, database: str, token: str, seconds: float, round_number: int
) -> Measured:
    import httpx

    env = {"REDIS_URL": checkout.redis_url}
    with servers_bench.running_server(SERVER, database, 8, project=checkout.project, env=env) as (
        base,
        pid,
    ):
        headers = {"Authorization": f"Bearer {token}"}
        for _ in range(3):  # the page into the cache, the pool's connections, lazy imports
            warm = httpx.get(base + servers_bench.SUBJECTS, headers=headers, timeout=10)
            if warm.status_code != 200:
                raise SystemExit(f"{checkout.name}: the warm-up answered {warm.status_code}")
        servers_bench.wrk(base + servers_bench.BARE, connections=8, seconds=1, token=None)
        load_average = os.getloadavg()[0]
        server = (f"{SERVER} {checkout.name}", pid)
        bare = servers_bench.measure(
            server, "bare", base + servers_bench.BARE, CONNECTIONS, seconds, None
        )
        subjects = servers_bench.measure(
            server, "subjects", base + servers_bench.SUBJECTS, CONNECTIONS, seconds, token
        )
    return Measured(checkout.name, round_number, bare, subjects, load_average)


def report(results: list[Measured]) -> None:
    print(
        f"\ngranian (WSGI) one process on core {servers_bench.SERVER_CORE}, 8 threads;"
        f" wrk 1 thread, {CONNECTIONS} connections on core {servers_bench.GENERATOR_CORE}"
    )
    print(
        f"{'checkout':<10}{'round':>6}{'load':>6}{'bare r/s':>10}{'µs cpu':>8}"
        f"{'subj r/s':>10}{'µs cpu':>8}{'p99 ms':>8}{'errors':>8}{'ratio':>7}{'srv cpu':>9}"
    )
    for r in results:
        errors = r.bare.errors + r.subjects.errors
        print(
            f"{r.checkout:<10}{r.round:>6}{r.load_average:>6.2f}{r.bare.rps:>10.0f}"
            f"{Measured.cpu_us(r.bare):>8.0f}{r.subjects.rps:>10.0f}"
            f"{Measured.cpu_us(r.subjects):>8.0f}{r.subjects.p99_ms:>8.1f}{errors:>8}"
            f"{r.ratio:>7.2f}{r.subjects.server_cpu:>9.0%}"
        )
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"(load average at the end {load}; 2 cores)")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, required=True, help="checkout of the old code")
    parser.add_argument("--current", type=Path, default=study_bench.PROJECT_DIR)
    parser.add_argument(
        "--redis",
        nargs=2,
        default=["redis://127.0.0.1:6379/8", "redis://127.0.0.1:6379/9"],
        help="Redis URLs of the baseline and the current checkout",
    )
    parser.add_argument("--seconds", type=float, default=8.0, help="per measurement")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="end with the rows as a JSON line")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if not os.environ.get("DATABASE_URL") or not shutil.which("wrk"):
        raise SystemExit("needs DATABASE_URL (PostgreSQL) and wrk on PATH")
    checkouts = [
        Checkout("baseline", args.baseline.resolve(), args.redis[0]),
        Checkout("current", args.current.resolve(), args.redis[1]),
    ]
    results: list[Measured] = []
    with (
        study_bench.temporary_database() as baseline_db,
        study_bench.temporary_database() as current_db,
    ):
        databases = {"baseline": baseline_db, "current": current_db}
        tokens = {c.name: seed(c, databases[c.name]) for c in checkouts}
        for round_number in range(1, args.rounds + 1):
            for checkout in checkouts:
                results.append(
                    measure(
                        checkout,
                        databases[checkout.name],
                        tokens[checkout.name],
                        args.seconds,
                        round_number,
                    )
                )
    report(results)
    if args.json:
        rows = [
            {
                "checkout": r.checkout,
                "round": r.round,
                "load_average": r.load_average,
                "bare_rps": r.bare.rps,
                "bare_cpu_us": Measured.cpu_us(r.bare),
                "subjects_rps": r.subjects.rps,
                "subjects_cpu_us": Measured.cpu_us(r.subjects),
                "ratio": r.ratio,
            }
            for r in results
        ]
        print(json.dumps(rows))


if __name__ == "__main__":
    main()
