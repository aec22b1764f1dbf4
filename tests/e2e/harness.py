"""Real server processes for the end-to-end tests (the fixtures using them are in conftest.py).

Each server is `daphne` in a child process with an environment built here from scratch (nothing
leaks in from the shell but PATH and, when set, REDIS_URL), listening on a loopback socket that
this process binds to port 0 and hands over with `--fd`, so no other process can take the port
between choosing and listening. The `stream` process and a Celery worker run the same way. The
WebSocket benchmark (`bench/ws_bench.py`) starts its processes with these helpers too.

Database isolation: the server never touches the pytest-django test database nor the project's
`db.sqlite3`. When DATABASE_URL names a PostgreSQL server, a fresh database
`studymate_e2e_<random>` is created on it for the session, migrated by `manage.py migrate` in a
subprocess and dropped at the end. Without DATABASE_URL the embedded default is a SQLite file at a
fixed path in the project directory and no variable moves it, so the tests that need a database
are skipped.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]
MANAGE_PY = PROJECT_DIR / "manage.py"
STARTUP_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0
# PostgreSQL on a port where nothing listens; the password must never reach a response body.
# A process pointed at it should set DATABASE_POOL_TIMEOUT=1: nothing will ever answer there, so
# each connection attempt may give up in a second rather than the pool's 10.
DEAD_DATABASE_URL = "postgres://studymate:e2e-hunter2-secret@127.0.0.1:1/nope"
E2E_STREAM_KEY_PREFIX = f"studymate-e2e-{os.getpid()}:stream:"


def base_env(**overrides: str) -> dict[str, str]:
    """A clean environment for a child process: the settings see only what a test sets."""
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "DJANGO_SETTINGS_MODULE": "studymate_api.settings",
    }
    env.update(overrides)
    return env


def server_env(**overrides: str) -> dict[str, str]:
    """The environment of a server under test: the suite's Redis when there is one, and rates
    high enough that the client-IP throttles (shared through Redis across runs) never answer 429.
    """
    env = base_env(
        THROTTLE_ANON_RATE="10000/min",
        THROTTLE_USER_RATE="10000/min",
        THROTTLE_LOGIN_RATE="10000/min",
        THROTTLE_REGISTER_RATE="10000/min",
    )
    if redis_url := os.environ.get("REDIS_URL", "").strip():
        env["REDIS_URL"] = redis_url
        # Streams of their own: a consumer the test process itself runs on the same Redis
        # (the in-process analyzer of the consumer tests) must not take the servers' events.
        env["STREAM_KEY_PREFIX"] = E2E_STREAM_KEY_PREFIX
    env.update(overrides)
    return env


def run_manage(
    *args: str, env: Mapping[str, str], timeout: float = 120.0
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(MANAGE_PY), *args],
        cwd=PROJECT_DIR,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _listening_socket(backlog: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(backlog)
    return sock


def _wait_until_alive(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"daphne exited with {process.returncode}:\n{_tail(log)}")
        try:
            if httpx.get(f"{base_url}/health/alive/", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"daphne did not answer /health/alive/ within {STARTUP_TIMEOUT} s:\n{_tail(log)}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT)


def _tail(log: Path, size: int = 4000) -> str:
    return log.read_text(errors="replace")[-size:] if log.exists() else "(no output)"


@contextmanager
def running_server(env: Mapping[str, str], *, backlog: int = 128) -> Iterator[str]:
    """Runs daphne with `env` until the block ends; yields its base URL. `backlog`: connections
    the kernel queues before daphne accepts them (a benchmark opening hundreds at once)."""
    with running_server_with_log(env, backlog=backlog) as (base_url, _log):
        yield base_url


@contextmanager
def running_server_with_log(
    env: Mapping[str, str], *, backlog: int = 128
) -> Iterator[tuple[str, Path]]:
    """`running_server`, yielding daphne's output file too (for tests that read its log lines)."""
    with tempfile.TemporaryDirectory(prefix="studymate-e2e-") as tmp:
        log = Path(tmp) / "daphne.log"
        sock = _listening_socket(backlog)
        port = sock.getsockname()[1]
        with sock, log.open("wb") as out:
            command = [sys.executable, "-m", "daphne", "--fd", str(sock.fileno())]
            process = subprocess.Popen(
                [*command, "studymate_api.asgi:application"],
                cwd=PROJECT_DIR,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                pass_fds=(sock.fileno(),),
            )
        try:
            base_url = f"http://127.0.0.1:{port}"
            _wait_until_alive(base_url, process, log)
            yield base_url, log
        finally:
            _stop(process)


def http_client(base_url: str) -> httpx.Client:
    """A plain HTTP client; English messages so failures read well."""
    return httpx.Client(base_url=base_url, timeout=15.0, headers={"Accept-Language": "en"})


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The response is `status` with the envelope `{"error": {"code", "message"}}`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert error["code"] == code, body
    assert isinstance(error["message"], str), body
    assert error["message"].strip(), body
    return dict(error)


WORKER_READY_MARKER = b"ready."
# What `realtime_analytics_management --start-streaming` prints once it reads the stream.
STREAM_READY_MARKER = b"streaming learning.activity"


def _wait_until_logged(
    process: subprocess.Popen[bytes], log: Path, marker: bytes, what: str
) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{what} exited with {process.returncode}:\n{_tail(log)}")
        if marker in log.read_bytes():
            return
        time.sleep(0.1)
    pytest.fail(f"{what} not ready within {STARTUP_TIMEOUT} s:\n{_tail(log)}")


@contextmanager
def _running_until_logged(
    command: list[str], env: Mapping[str, str], marker: bytes, what: str
) -> Iterator[Path]:
    """Runs `command` until the block ends; yields its log once `marker` appears in it."""
    with _process_until_logged(command, env, marker, what) as (_process, log):
        yield log


@contextmanager
def _process_until_logged(
    command: list[str], env: Mapping[str, str], marker: bytes, what: str
) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """`_running_until_logged`, yielding the process too (a fault test may kill it)."""
    with tempfile.TemporaryDirectory(prefix="studymate-e2e-") as tmp:
        log = Path(tmp) / "process.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                command,
                cwd=PROJECT_DIR,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            _wait_until_logged(process, log, marker, what)
            yield process, log
        finally:
            _stop(process)


def _worker_command(name: str) -> list[str]:
    command = [sys.executable, "-m", "celery", "-A", "studymate_api", "worker"]
    options = ["--pool", "solo", "--without-gossip", "--without-mingle", "-l", "INFO"]
    return [*command, *options, "--hostname", f"e2e-{name}-{os.getpid()}@%h"]


@contextmanager
def running_worker(env: Mapping[str, str]) -> Iterator[Path]:
    """Runs a real Celery worker (solo pool, Redis broker) until the block ends; yields its log."""
    with _running_until_logged(
        _worker_command("worker"), env, WORKER_READY_MARKER, "celery worker"
    ) as log:
        yield log


@contextmanager
def running_worker_process(
    env: Mapping[str, str], name: str
) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """`running_worker` with a name of its own, yielding the process (to kill it)."""
    with _process_until_logged(
        _worker_command(name), env, WORKER_READY_MARKER, f"celery worker {name}"
    ) as running:
        yield running


@contextmanager
def running_beat(env: Mapping[str, str]) -> Iterator[Path]:
    """Runs Celery beat (the project's CELERY_BEAT_SCHEDULE, a schedule file of its own) until
    the block ends; yields its log."""
    with tempfile.TemporaryDirectory(prefix="studymate-beat-") as tmp:
        command = [sys.executable, "-m", "celery", "-A", "studymate_api", "beat", "-l", "INFO"]
        command += ["--schedule", str(Path(tmp) / "schedule")]
        with _running_until_logged(command, env, b"beat: Starting", "celery beat") as log:
            yield log


STREAM_COMMAND = [
    sys.executable,
    str(MANAGE_PY),
    "realtime_analytics_management",
    "--start-streaming",
]


@contextmanager
def running_stream_process(env: Mapping[str, str]) -> Iterator[Path]:
    """Runs the `stream` process (`manage.py realtime_analytics_management --start-streaming`,
    the analyzer reading the activity stream) until the block ends; yields its log once it
    reads the stream. With Redis, the web process only publishes activity and this process
    answers with metrics."""
    with _running_until_logged(STREAM_COMMAND, env, STREAM_READY_MARKER, "stream process") as log:
        yield log


@contextmanager
def running_stream_processes(
    env: Mapping[str, str], count: int
) -> Iterator[list[tuple[subprocess.Popen[bytes], Path]]]:
    """`count` stream processes sharing the activity stream's partitions; yields each process
    (a fault test may kill one) with its log."""
    with ExitStack() as stack:
        yield [
            stack.enter_context(
                _process_until_logged(
                    STREAM_COMMAND, env, STREAM_READY_MARKER, f"stream process {number}"
                )
            )
            for number in range(count)
        ]
