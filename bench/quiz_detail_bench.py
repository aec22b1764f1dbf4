"""Microseconds per quiz-detail read (`GET /api/quiz/quizzes/{id}/`), before and after, in one run.

    git worktree add --detach /tmp/baseline 6ec4ff3      # the code before (any older commit)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        REDIS_URL=redis://127.0.0.1:6379/13 .venv/bin/python bench/quiz_detail_bench.py \\
        --baseline /tmp/baseline [--current DIR] [--questions 10] [--reads 2000] [--rounds 2]

PostgreSQL and Redis (the cache is what is measured): without DATABASE_URL or REDIS_URL it exits
with status 2. Each checkout (the baseline, and the current tree: this file's own unless
--current) gets its own temporary database, migrated by its own migrations, holding one public
quiz of --questions questions (bench/quiz_bench.py's mix of the four auto-graded types) by an
owner, and a second learner; both sign in through the checkout's own service (tokens with their
`sid`, as a login issues them). The checkouts take turns on REDIS_URL's database, each emptying
the cache (`clear_all`) before its turn, since both databases number their rows alike.

Each turn runs in a child process on that checkout's code: Django's test client, in process,
through the whole stack (JWT authentication, middleware, throttles, view, rendering; the test
client keeps its database connection, so no connection checkout is counted). Per case, after
50 warm-up reads, --reads reads one after another:
- `owner`: the owner reads the quiz (answers shown), again and again: a warm cache;
- `learner`: the other learner reads it (answers hidden), again and again;
- `cold`: the learner reads it with the cache emptied before each read (not timed): what a
  miss costs (--reads / 5 of them).
Printed per checkout, round and case: the median and mean wall time and the mean CPU time of the
process per read (µs), and the SQL queries of one read; then the current/baseline ratios of the
medians over all rounds. Takes about a minute with the defaults.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from quiz_bench import question_specs
from study_bench import PROJECT_DIR, temporary_database

CASES = ("owner", "learner", "cold")

# Run on each checkout's own Python path: its study_bench sets the production-like environment
# and points Django at the database; everything else is that checkout's code.
_CHILD = """
import json, statistics, sys, time
import study_bench
mode, database, payload = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
study_bench.point_django_at(database)
import django
django.setup()
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from studymate_api.cache import clear_all

if mode == "seed":
    from django.core.management import call_command
    from accounts.models import User
    from accounts.services import tokens_issue
    from quiz import services
    call_command("migrate", verbosity=0)
    owner = User.objects.create_user("owner@bench.example", None, username="owner")
    learner = User.objects.create_user("learner@bench.example", None, username="learner")
    quiz = services.quiz_create(
        owner=owner, title="Bench quiz", is_public=True, questions=payload["questions"]
    )
    tokens = {"owner": tokens_issue(user=owner).access}
    tokens["learner"] = tokens_issue(user=learner).access
    print(json.dumps({"quiz": quiz.pk, "tokens": tokens}))
    raise SystemExit(0)

clear_all()
path = f"/api/quiz/quizzes/{payload['quiz']}/"
clients = {
    name: Client(headers={"authorization": f"Bearer {token}"}, SERVER_NAME="localhost")
    for name, token in payload["tokens"].items()
}

def read(client):
    response = client.get(path)
    if response.status_code != 200:
        raise SystemExit(f"HTTP {response.status_code}: {response.content[:200]!r}")

def timed(client, reads, cold):
    walls, cpu = [], 0.0
    for _ in range(reads):
        if cold:
            clear_all()
        began, began_cpu = time.perf_counter(), time.process_time()
        read(client)
        walls.append((time.perf_counter() - began) * 1e6)
        cpu += time.process_time() - began_cpu
    return walls, cpu * 1e6 / reads

results = {}
for case in payload["cases"]:
    client = clients["owner" if case == "owner" else "learner"]
    cold = case == "cold"
    for _ in range(50):
        if cold:
            clear_all()
        read(client)
    if cold:
        clear_all()
    with CaptureQueriesContext(connection) as captured:
        read(client)
    queries = len(captured.captured_queries)  # read now: the next request empties the log
    reads = payload["reads"] // 5 if cold else payload["reads"]
    walls, cpu_us = timed(client, reads, cold)
    results[case] = {
        "median_us": statistics.median(walls),
        "mean_us": statistics.fmean(walls),
        "cpu_us": cpu_us,
        "queries": queries,
        "reads": reads,
    }
print(json.dumps(results))
"""


@dataclass(frozen=True)
class Checkout:
    name: str
    project: Path


def child(checkout: Checkout, mode: str, database: str, payload: dict[str, Any]) -> Any:
    bench_dir = checkout.project / "bench"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(bench_dir), str(checkout.project)])}
    output = subprocess.run(  # noqa: S603 - our own fixed command line
        [sys.executable, "-c", _CHILD, mode, database, json.dumps(payload)],
        cwd=bench_dir,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def report(rows: list[tuple[str, int, dict[str, Any]]]) -> None:
    redis = os.environ.get("REDIS_URL", "")
    print(f"\nquiz detail, in process (Django test client), PostgreSQL + Redis ({redis})")
    header = f"{'checkout':<10}{'round':>6}  {'case':<8}{'median µs':>11}{'mean µs':>10}"
    print(header + f"{'cpu µs':>9}{'queries':>9}{'reads':>7}")
    for name, round_number, results in rows:
        for case in CASES:
            r = results[case]
            print(
                f"{name:<10}{round_number:>6}  {case:<8}{r['median_us']:>11.0f}"
                f"{r['mean_us']:>10.0f}{r['cpu_us']:>9.0f}{r['queries']:>9}{r['reads']:>7}"
            )
    print("\ncurrent / baseline, median over the rounds' medians:")
    for case in CASES:
        medians = {
            name: statistics.median(res[case]["median_us"] for n, _r, res in rows if n == name)
            for name in ("baseline", "current")
        }
        ratio = medians["current"] / medians["baseline"] if medians["baseline"] else 0.0
        print(
            f"  {case:<8} {medians['baseline']:>7.0f} µs -> {medians['current']:>7.0f} µs"
            f"  ({ratio:.2f}x)"
        )
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"(load average at the end {load}; 2 cores)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, required=True, help="checkout of the old code")
    parser.add_argument("--current", type=Path, default=PROJECT_DIR)
    parser.add_argument("--questions", type=int, default=10, help="questions in the quiz")
    parser.add_argument("--reads", type=int, default=2000, help="timed reads per warm case")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="end with the rows as a JSON line")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").strip() or not os.environ.get("REDIS_URL"):
        print("quiz_detail_bench needs DATABASE_URL (PostgreSQL) and REDIS_URL", file=sys.stderr)
        raise SystemExit(2)
    checkouts = [
        Checkout("baseline", args.baseline.resolve()),
        Checkout("current", args.current.resolve()),
    ]
    rows: list[tuple[str, int, dict[str, Any]]] = []
    with temporary_database() as baseline_db, temporary_database() as current_db:
        databases = {"baseline": baseline_db, "current": current_db}
        questions = {"questions": question_specs(args.questions)}
        seeds = {c.name: child(c, "seed", databases[c.name], questions) for c in checkouts}
        for round_number in range(1, args.rounds + 1):
            for checkout in checkouts:
                payload = {**seeds[checkout.name], "cases": CASES, "reads": args.reads}
                results = child(checkout, "measure", databases[checkout.name], payload)
                rows.append((checkout.name, round_number, results))
    report(rows)
    if args.json:
        print(json.dumps([{"checkout": n, "round": r, **res} for n, r, res in rows]))


if __name__ == "__main__":
    main()
