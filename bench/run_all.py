"""Every benchmark of the project in one go, against PostgreSQL + Redis, and one summary table.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/studymate_b1 \\
        REDIS_URL=redis://127.0.0.1:6379/4 .venv/bin/python bench/run_all.py [--quick]

Each bench script runs as a subprocess with its default arguments (smaller ones with --quick, a
smoke run of a minute or two) and the production settings they all share (study_bench.BENCH_ENV:
DEBUG off, a SECRET_KEY, ALLOWED_HOSTS; each creates and drops its own PostgreSQL database next
to DATABASE_URL's). Their own reports are printed as they come; the HTTP ones (servers_bench,
study_bench, quiz_bench, with --json) also feed the summary table: endpoint, concurrency,
requests/s, p50/p95/p99, errors, and two ratios measured in the same run by servers_bench
(wrk on its own core, one server process on the other): to the bare Django JSON view on daphne
(the framework's limit) and to a raw ASGI hello app on uvicorn (the language's limit), each at
the nearest concurrency servers_bench measured. study_bench and quiz_bench drive load with an
httpx client that is not pinned, so their rows share the cores with the server: their ratios
are lower bounds.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REFERENCE_SERVER = "daphne"
BARE = "bare django"
HELLO = "raw asgi hello"


@dataclass(frozen=True)
class Bench:
    script: str
    arguments: tuple[str, ...]
    quick_arguments: tuple[str, ...] | None  # None: skipped by --quick
    has_json: bool = False


BENCHES = (
    Bench("servers_bench.py", ("--json",), ("--json", "--quick"), has_json=True),
    Bench("mixed_bench.py", ("--json",), ("--json", "--quick"), has_json=True),
    Bench(
        "study_bench.py",
        ("--json",),
        ("--json", "--requests", "300", "--uncached", "100", "--connections", "16"),
        has_json=True,
    ),
    Bench(
        "quiz_bench.py",
        ("--json",),
        ("--json", "--learners", "10", "--questions", "10", "--bare", "200"),
        has_json=True,
    ),
    Bench("reco_bench.py", (), ("--requests", "10")),
    Bench("cache_bench.py", (), ("--reads", "2000", "--learners", "100")),
    Bench("idempotency_bench.py", (), ("--requests", "200", "--rounds", "2")),
    Bench("stream_bench.py", (), ("--events", "5000", "--seconds", "2")),
    Bench("ws_bench.py", ("learners",), ("learners", "--learners", "20", "--seconds", "3")),
    Bench("ws_bench.py", ("rooms",), None),
    Bench("kt_bench.py", (), None),
    Bench("reco_eval.py", (), None),
)


@dataclass(frozen=True)
class Outcome:
    bench: Bench
    status: int
    seconds: float
    rows: list[dict[str, Any]]


def run_bench(bench: Bench, quick: bool) -> Outcome:
    arguments = bench.quick_arguments if quick else bench.arguments
    assert arguments is not None
    title = " ".join([bench.script, *arguments])
    print(f"\n===== {title}", flush=True)
    started = time.monotonic()
    completed = subprocess.run(  # noqa: S603 - our own scripts
        [sys.executable, str(BENCH_DIR / bench.script), *arguments],
        cwd=BENCH_DIR.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.monotonic() - started
    rows = _json_rows(completed.stdout) if bench.has_json else []
    human = [line for line in completed.stdout.splitlines() if not line.startswith("[{")]
    print("\n".join(human))
    if completed.returncode != 0:
        print(f"-- exit status {completed.returncode}; stderr (last lines):")
        print("\n".join(completed.stderr.splitlines()[-15:]))
    print(f"-- {seconds:.0f} s", flush=True)
    return Outcome(bench, completed.returncode, seconds, rows)


def _json_rows(stdout: str) -> list[dict[str, Any]]:
    lines = [line for line in stdout.splitlines() if line.startswith("[{")]
    return json.loads(lines[-1]) if lines else []


# --- the summary --------------------------------------------------------------------------------


def _nearest(references: dict[int, float], concurrency: int) -> float | None:
    if not references:
        return None
    return references[min(references, key=lambda c: abs(c - concurrency))]


def summary_rows(outcomes: list[Outcome]) -> list[dict[str, Any]]:
    """Every HTTP row, named by its source (the server for servers_bench)."""
    rows: list[dict[str, Any]] = []
    for outcome in outcomes:
        source = outcome.bench.script.removesuffix(".py")
        for row in outcome.rows:
            label = row.get("server", "daphne")
            rows.append({**row, "source": source, "server": label})
    return rows


def print_summary(rows: list[dict[str, Any]], outcomes: list[Outcome]) -> None:
    servers = [r for r in rows if r["source"] == "servers_bench"]
    bare = {
        r["concurrency"]: r["rps"]
        for r in servers
        if r["endpoint"] == BARE and r["server"] == REFERENCE_SERVER
    }
    hello = {r["concurrency"]: r["rps"] for r in servers if r["endpoint"] == HELLO}
    print("\n===== summary (HTTP; ratios = req/s over the reference at the nearest concurrency)")
    print(
        f"{'source':<14}{'server':<18}{'endpoint':<20}{'conns':>6}{'req/s':>8}{'p50':>7}"
        f"{'p95':>7}{'p99':>7}{'errors':>7}{'/bare':>7}{'/hello':>7}"
    )
    for r in rows:
        ratios = ""
        for reference in (bare, hello):
            base = _nearest(reference, r["concurrency"])
            ratios += f"{r['rps'] / base:>7.2f}" if base else f"{'-':>7}"
        print(
            f"{r['source']:<14}{r['server']:<18}{r['endpoint']:<20}{r['concurrency']:>6}"
            f"{r['rps']:>8.0f}{r['p50_ms']:>7.1f}{r['p95_ms']:>7.1f}{r['p99_ms']:>7.1f}"
            f"{r['errors']:>7}{ratios}"
        )
    print(
        f"(latencies in ms; /bare: bare Django JSON view on {REFERENCE_SERVER}, /hello: raw"
        " ASGI app on uvicorn, both from servers_bench in this run)"
    )
    print(
        "\nbenches: "
        + ", ".join(
            f"{' '.join([o.bench.script, *o.bench.arguments])}="
            f"{'ok' if o.status == 0 else f'exit {o.status}'} ({o.seconds:.0f} s)"
            for o in outcomes
        )
    )
    load_average = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"(load average at the end {load_average})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run of each bench")
    args = parser.parse_args()
    missing = [name for name in ("DATABASE_URL", "REDIS_URL") if not os.environ.get(name)]
    if missing:
        print(f"run_all needs PostgreSQL and Redis: set {' and '.join(missing)}", file=sys.stderr)
        raise SystemExit(2)
    selected = [b for b in BENCHES if not args.quick or b.quick_arguments is not None]
    outcomes = [run_bench(bench, args.quick) for bench in selected]
    print_summary(summary_rows(outcomes), outcomes)
    raise SystemExit(0 if all(o.status == 0 for o in outcomes) else 1)


if __name__ == "__main__":
    main()
