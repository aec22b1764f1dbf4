"""One app, several HTTP servers: which one should serve the project's HTTP in production?

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/studymate_b1 \\
        REDIS_URL=redis://127.0.0.1:6379/4 .venv/bin/python bench/servers_bench.py [--quick]

The project's app with production settings (DEBUG off, SECRET_KEY, ALLOWED_HOSTS, PostgreSQL
with the psycopg pool, Redis cache) on a database seeded by bench/study_bench.py, served in
turn by:
- daphne (ASGI, the current default) and uvicorn (ASGI): `studymate_api.asgi`;
- gunicorn with gthread workers and granian in WSGI mode: `studymate_api.wsgi`;
- and, as the language's limit, bench/asgi_hello.py (a raw ASGI app) on uvicorn.
Every server is ONE process pinned to core 0 (`taskset -c 0`) with --threads threads for the
sync Django code (ASGI_THREADS for the ASGI servers, gthread threads, granian blocking
threads). The load generator is wrk, pinned to core 1, closed-loop at each concurrency, one
thread; its own CPU (user+system / wall) is reported per run.

Endpoints: the bare Django JSON view `/bench/bare/` (the framework's limit, behind the same
middleware), `/health/alive/`, and `GET /api/study/subjects/?page_size=50` with a JWT after a
warm-up request (a cached, authenticated list). `--json` ends the report with the rows as one
JSON line.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import study_bench

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
VENV_BIN = Path(sys.executable).parent
SERVER_CORE = "0"
GENERATOR_CORE = "1"
TASKSET = shutil.which("taskset") or "/usr/bin/taskset"
WRK = shutil.which("wrk") or "/usr/bin/wrk"

BARE = "/bench/bare/"
HEALTH = "/health/alive/"
SUBJECTS = "/api/study/subjects/?page_size=50"
# (server, interface the served_app module exposes, endpoints measured on it)
APP_ENDPOINTS = (("bare django", BARE), ("health alive", HEALTH), ("subjects cached", SUBJECTS))
HELLO_ENDPOINTS = (("raw asgi hello", "/"),)


@dataclass(frozen=True)
class Row:
    server: str
    endpoint: str
    concurrency: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    generator_cpu: float  # fraction of one core used by wrk
    server_cpu: float  # fraction of one core used by the server's processes


# --- servers ------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def server_command(server: str, port: int, threads: int) -> tuple[list[str], str]:
    """The command line of `server` on `port`, and the interface (asgi/wsgi) it loads."""
    bind = ["127.0.0.1", str(port)]
    quiet_uvicorn = ["--no-access-log", "--log-level", "warning", "--backlog", "2048"]
    commands: dict[str, tuple[list[str], str]] = {
        "daphne": (
            [str(VENV_BIN / "daphne"), "-b", bind[0], "-p", bind[1], "-v", "0", "served_app:asgi"],
            "asgi",
        ),
        "uvicorn": (
            [
                str(VENV_BIN / "uvicorn"),
                "served_app:asgi",
                "--host",
                bind[0],
                "--port",
                bind[1],
                "--lifespan",
                "off",
                *quiet_uvicorn,
            ],
            "asgi",
        ),
        "gunicorn gthread": (
            [
                str(VENV_BIN / "gunicorn"),
                "served_app:wsgi",
                "-k",
                "gthread",
                "-w",
                "1",
                "--threads",
                str(threads),
                "-b",
                ":".join(bind),
                "--backlog",
                "2048",
                "--log-level",
                "warning",
            ],
            "wsgi",
        ),
        "granian wsgi": (
            [
                str(VENV_BIN / "granian"),
                "--interface",
                "wsgi",
                "--host",
                bind[0],
                "--port",
                bind[1],
                "--workers",
                "1",
                "--blocking-threads",
                str(threads),
                "--runtime-threads",
                "1",
                "--no-ws",
                "--log-level",
                "warning",
                "served_app:wsgi",
            ],
            "wsgi",
        ),
        "uvicorn raw asgi": (
            [
                str(VENV_BIN / "uvicorn"),
                "asgi_hello:app",
                "--host",
                bind[0],
                "--port",
                bind[1],
                *quiet_uvicorn,
            ],
            "asgi",
        ),
    }
    return commands[server]


@contextmanager
def running_server(
    server: str,
    database: str,
    threads: int,
    *,
    project: Path = PROJECT_DIR,
    env: dict[str, str] | None = None,
) -> Iterator[tuple[str, int]]:
    """`server` serving `project`'s code (another checkout of this repository, e.g. a git
    worktree of an older commit, runs with this virtualenv) with `env` on top of ours."""
    port = _free_port()
    command, interface = server_command(server, port, threads)
    bench_dir = project / "bench"
    child_env = {
        **os.environ,
        **(env or {}),
        "BENCH_DATABASE": database,
        "BENCH_INTERFACE": interface,
        "ASGI_THREADS": str(threads),
        # Django's "no static directory" warning, once per middleware instance: noise here.
        "PYTHONWARNINGS": "ignore::UserWarning",
        "PYTHONPATH": os.pathsep.join([str(bench_dir), str(project)]),
    }
    child = subprocess.Popen(  # noqa: S603 - our own fixed command line
        [TASKSET, "-c", SERVER_CORE, *command], cwd=bench_dir, env=child_env
    )
    base = f"http://127.0.0.1:{port}"
    try:
        probe = "/" if server.endswith("raw asgi") else HEALTH
        _wait_until_up(base + probe, child)
        yield base, child.pid
    finally:
        child.terminate()
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _wait_until_up(url: str, child: subprocess.Popen[bytes]) -> None:
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise SystemExit(f"the server exited during start-up: {child.args!r}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the server did not answer {url} within 60 s")


# --- the generator ------------------------------------------------------------------------------


def wrk(url: str, *, connections: int, seconds: float, token: str | None) -> dict[str, float]:
    """One closed-loop wrk run on the generator core; its summary and its own CPU share."""
    command = [
        TASKSET,
        "-c",
        GENERATOR_CORE,
        WRK,
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(BENCH_DIR / "wrk_report.lua"),
    ]
    if token:
        command += ["-H", f"Authorization: Bearer {token}"]
    started = time.monotonic()
    child = subprocess.Popen(  # noqa: S603
        [*command, url], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    output = child.stdout.read()
    _, _, usage = os.wait4(child.pid, 0)
    child.returncode = 0  # reaped by wait4
    wall = time.monotonic() - started
    lines = [line for line in output.splitlines() if line.startswith('{"requests"')]
    if not lines:
        raise SystemExit(f"wrk printed no summary for {url}:\n{output}")
    summary: dict[str, float] = json.loads(lines[-1])
    summary["cpu"] = (usage.ru_utime + usage.ru_stime) / wall
    return summary


def _tree_cpu_seconds(pid: int) -> float:
    """CPU time of a server: its process and every descendant (gunicorn's and granian's
    workers are children of their master)."""
    import psutil

    root = psutil.Process(pid)
    total = 0.0
    for process in [root, *root.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            total += sum(process.cpu_times()[:2])
    return total


def measure(
    server: tuple[str, int],
    endpoint: str,
    url: str,
    connections: int,
    seconds: float,
    token: str | None,
) -> Row:
    name, pid = server
    cpu_before, started = _tree_cpu_seconds(pid), time.monotonic()
    s = wrk(url, connections=connections, seconds=seconds, token=token)
    server_cpu = (_tree_cpu_seconds(pid) - cpu_before) / (time.monotonic() - started)
    errors = int(s["connect"] + s["read"] + s["write"] + s["status"] + s["timeout"])
    return Row(
        server=name,
        endpoint=endpoint,
        concurrency=connections,
        rps=s["requests"] / (s["duration_us"] / 1e6),
        p50_ms=s["p50"] / 1000,
        p95_ms=s["p95"] / 1000,
        p99_ms=s["p99"] / 1000,
        errors=errors,
        generator_cpu=s["cpu"],
        server_cpu=server_cpu,
    )


def bench_server(server: str, database: str, token: str, args: argparse.Namespace) -> list[Row]:
    endpoints = HELLO_ENDPOINTS if server.endswith("raw asgi") else APP_ENDPOINTS
    rows: list[Row] = []
    with running_server(server, database, args.threads) as (base, pid):
        import httpx

        # Warm-up: imports, the pool's connections, the learner's cached page.
        httpx.get(base + SUBJECTS, headers={"Authorization": f"Bearer {token}"}, timeout=10)
        wrk(base + endpoints[0][1], connections=8, seconds=1, token=None)
        for connections in args.concurrency:
            for endpoint, path in endpoints:
                auth = token if path == SUBJECTS else None
                url = base + path
                rows.append(measure((server, pid), endpoint, url, connections, args.seconds, auth))
    return rows


# --- the report ---------------------------------------------------------------------------------


def report(rows: list[Row], threads: int) -> None:
    print(
        f"\none server process pinned to core {SERVER_CORE}, {threads} threads for sync code;"
        f" wrk (1 thread, closed loop) on core {GENERATOR_CORE}"
    )
    print(
        f"{'server':<18}{'endpoint':<17}{'conns':>6}{'req/s':>9}{'p50 ms':>8}{'p95 ms':>8}"
        f"{'p99 ms':>8}{'errors':>7}{'wrk cpu':>8}{'srv cpu':>8}"
    )
    for r in rows:
        print(
            f"{r.server:<18}{r.endpoint:<17}{r.concurrency:>6}{r.rps:>9.0f}{r.p50_ms:>8.1f}"
            f"{r.p95_ms:>8.1f}{r.p99_ms:>8.1f}{r.errors:>7}{r.generator_cpu:>8.0%}{r.server_cpu:>8.0%}"
        )
    load_average = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"(load average {load_average})")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--servers",
        nargs="+",
        default=["uvicorn raw asgi", "daphne", "uvicorn", "gunicorn gthread", "granian wsgi"],
    )
    parser.add_argument("--concurrency", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--seconds", type=float, default=10.0, help="per measurement")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--quick", action="store_true", help="2 s runs at 16 connections")
    parser.add_argument("--json", action="store_true", help="end with the rows as a JSON line")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.concurrency = 2.0, [16]
    return args


def main() -> None:
    args = parse_args()
    if not os.environ.get("DATABASE_URL") or not shutil.which("wrk"):
        raise SystemExit("needs DATABASE_URL (PostgreSQL), REDIS_URL, and wrk on PATH")
    with study_bench.temporary_database() as database:
        study_bench.point_django_at(database)
        import django

        django.setup()
        token = study_bench.seed(4)[0]
        from django.db import connections

        from studymate_api.cache import clear_all

        clear_all()  # learner ids repeat between runs on a fresh database
        connections.close_all()
        rows = [
            row for server in args.servers for row in bench_server(server, database, token, args)
        ]
    report(rows, args.threads)
    if args.json:
        print(json.dumps([asdict(row) for row in rows]))


if __name__ == "__main__":
    main()
