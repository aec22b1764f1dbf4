"""The platform bench/mixed_bench.py loads: its processes, its seed, its CPU and memory probes.

The production topology (bench/servers_bench.py measured granian in WSGI mode as the fastest
HTTP server for the project): granian serves HTTP, daphne serves only /ws/, a Celery worker runs
the background tasks (AI summaries) and the stream process analyzes the learners' activity, all
on PostgreSQL + Redis with production settings (study_bench.BENCH_ENV: DEBUG off, a SECRET_KEY,
ALLOWED_HOSTS, throttles that count but never refuse). Every platform process is pinned to core
0 (`taskset -c 0`); PostgreSQL and Redis are not pinned.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import study_bench  # sets the production-like environment (BENCH_ENV) first

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
VENV_BIN = Path(sys.executable).parent
MANAGE_PY = PROJECT_DIR / "manage.py"
SERVER_CORE = "0"
GENERATOR_CORE = 1
TASKSET = shutil.which("taskset") or "/usr/bin/taskset"
STARTUP_SECONDS = 60.0
STREAM_READY = b"streaming learning.activity"

QUESTIONS_PER_QUIZ = 8
CREDITS_PER_LEARNER = 1_000_000
MATERIAL = (
    "Photosynthesis converts light energy into chemical energy stored in glucose. "
    "It takes place in the chloroplasts of plant cells, where chlorophyll absorbs light. "
    "The light-dependent reactions split water and release oxygen as a by-product. "
    "The Calvin cycle then fixes carbon dioxide into sugars using ATP and NADPH. "
    "Respiration later releases the stored energy for the cell's work. "
    "Factors such as light intensity, temperature and carbon dioxide concentration limit "
    "the rate of photosynthesis, and each can be measured in a simple experiment."
)


# --- the environment ----------------------------------------------------------------------------


def platform_env(
    database_url: str, redis_url: str, stream_prefix: str, ai_base_url: str | None = None
) -> dict[str, str]:
    """The environment of every platform process: built from scratch (nothing from the shell but
    PATH), production settings, this run's database, Redis and stream keys. With `ai_base_url`
    the AI goes to the hosted-provider stand-in there (bench/ai_standin.py) through the openai
    provider; without it, to the offline provider."""
    ai = (
        {"AI_FALLBACK_ORDER": "local"}
        if ai_base_url is None
        else {
            "AI_FALLBACK_ORDER": "openai",
            "OPENAI_API_KEY": "bench-standin",
            "OPENAI_BASE_URL": ai_base_url,
        }
    )
    return {
        "PATH": os.environ.get("PATH", os.defpath),
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
        # Django's "no static directory" warning, once per process: noise here.
        "PYTHONWARNINGS": "ignore::UserWarning",
        "PYTHONPATH": str(PROJECT_DIR),
        **study_bench.BENCH_ENV,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "STREAM_KEY_PREFIX": stream_prefix,
        # One provider: the offline one, or the stand-in; no real provider's key is ever here.
        **ai,
    }


# --- the seed -----------------------------------------------------------------------------------


@dataclass
class Learner:
    """One seeded learner and what the load generator tracks of them."""

    index: int
    user_id: int
    token: str
    own_subjects: list[int]
    studied_subjects: list[int]
    quiz_id: int
    # The quiz attempt in progress: (question id, answer) to submit, the next one's position,
    # requests in flight; `None` attempt: none started yet (or the last one finished).
    attempt_id: int | None = None
    questions: list[tuple[int, Any]] = field(default_factory=list)
    next_question: int = 0
    quiz_in_flight: int = 0
    starting: bool = False
    session_id: str = ""  # the live learning session of a WebSocket learner

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Accept-Language": "en"}


def seed(learners: int) -> list[Learner]:
    """bench/study_bench.py's seed (public subjects, learners with private subjects and
    progress), then for each learner, through the project's services: a private quiz of
    QUESTIONS_PER_QUIZ auto-graded questions (bench/quiz_bench.py's mix) on their first subject
    and a grant of CREDITS_PER_LEARNER credits, so an AI request never meets 402."""
    from quiz_bench import question_specs

    from accounts.models import User
    from quiz import services as quiz_services
    from study.models import StudyProgress, Subject
    from subscription.models import CreditReason
    from subscription.services.credits import credits_grant

    tokens = study_bench.seed(learners)
    users = list(User.objects.filter(username__startswith="learner").order_by("pk"))
    assert len(users) == len(tokens)
    own: dict[int, list[int]] = {}
    for subject_id, owner_id in Subject.objects.filter(is_public=False).values_list(
        "pk", "created_by_id"
    ):
        own.setdefault(owner_id, []).append(subject_id)
    studied: dict[int, list[int]] = {}
    for user_id, subject_id in StudyProgress.objects.values_list("user_id", "subject_id"):
        studied.setdefault(user_id, []).append(subject_id)
    seeded: list[Learner] = []
    for index, (user, token) in enumerate(zip(users, tokens, strict=True)):
        subjects = sorted(own[user.pk])
        quiz = quiz_services.quiz_create(
            owner=user,
            subject_id=subjects[0],
            title=f"Practice {index}",
            is_public=False,
            questions=question_specs(QUESTIONS_PER_QUIZ),
        )
        credits_grant(
            user=user,
            amount=CREDITS_PER_LEARNER,
            reason=CreditReason.ADMIN_ADJUSTMENT,
            idempotency_key=f"mixed-bench:{user.pk}",
            reference="mixed bench seed",
        )
        seeded.append(
            Learner(
                index=index,
                user_id=user.pk,
                token=token,
                own_subjects=subjects,
                studied_subjects=sorted(studied.get(user.pk, subjects)),
                quiz_id=quiz.pk,
            )
        )
    return seeded


def answer_for(question: dict[str, Any]) -> Any:
    """A well-formed answer to a question as an attempt shows it (right or wrong: both count)."""
    kind = question["question_type"]
    choices = [choice["id"] for choice in question.get("choices", [])]
    if kind == "multiple_choice":
        return choices[0]
    if kind == "multiple_select":
        return choices[:2]
    if kind == "true_false":
        return True
    return "서울"


# --- the processes ------------------------------------------------------------------------------


@dataclass
class Platform:
    http_url: str
    ws_url: str
    pids: dict[str, int]  # role -> pid: web, ws, worker, stream
    logs: Path


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _tail(log: Path, size: int = 3000) -> str:
    return log.read_text(errors="replace")[-size:] if log.exists() else "(no output)"


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_http(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    import httpx

    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{process.args!r} exited:\n{_tail(log)}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(url, timeout=1).status_code == 200:
                return
        time.sleep(0.2)
    raise SystemExit(f"nothing answered {url} within {STARTUP_SECONDS:.0f} s:\n{_tail(log)}")


def _wait_log(marker: bytes, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while marker not in log.read_bytes():
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"{process.args!r} did not start:\n{_tail(log)}")
        time.sleep(0.1)


def commands(http_port: int, ws_port: int) -> dict[str, list[str]]:
    """The production command line of each platform process."""
    host = "127.0.0.1"
    return {
        "web": [
            str(VENV_BIN / "granian"),
            *("--interface", "wsgi", "--host", host, "--port", str(http_port)),
            *("--workers", "1", "--blocking-threads", "8", "--runtime-threads", "1", "--no-ws"),
            "studymate_api.wsgi:application",
        ],
        "ws": [
            str(VENV_BIN / "daphne"),
            *("-b", host, "-p", str(ws_port)),
            "studymate_api.asgi:application",
        ],
        "worker": [
            str(VENV_BIN / "celery"),
            *("-A", "studymate_api", "worker", "--concurrency", "2"),
            *("--without-gossip", "--without-mingle"),
        ],
        "stream": [
            sys.executable,
            str(MANAGE_PY),
            *("realtime_analytics_management", "--start-streaming"),
        ],
    }


@contextlib.contextmanager
def running_platform(env: dict[str, str], logs: Path) -> Iterator[Platform]:
    """web, ws, worker and stream, each pinned to core 0, until the block ends. The worker's
    readiness is proven by the caller (a summary generated end to end)."""
    http_port, ws_port = _free_port(), _free_port()
    processes: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for role, command in commands(http_port, ws_port).items():
            log = logs / f"{role}.log"
            with log.open("wb") as out:
                processes[role] = subprocess.Popen(  # noqa: S603 - our own command lines
                    [TASKSET, "-c", SERVER_CORE, *command],
                    cwd=PROJECT_DIR,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
        http_url, ws_url = f"http://127.0.0.1:{http_port}", f"http://127.0.0.1:{ws_port}"
        _wait_http(f"{http_url}/health/alive/", processes["web"], logs / "web.log")
        _wait_http(f"{ws_url}/health/alive/", processes["ws"], logs / "ws.log")
        _wait_log(STREAM_READY, processes["stream"], logs / "stream.log")
        if processes["worker"].poll() is not None:
            raise SystemExit(f"the worker exited:\n{_tail(logs / 'worker.log')}")
        yield Platform(http_url, ws_url, {r: p.pid for r, p in processes.items()}, logs)
    finally:
        for process in processes.values():
            _stop(process)


@contextlib.contextmanager
def running_ai_standin(
    env: dict[str, str], logs: Path, *, ttft: float, tokens_per_second: float
) -> Iterator[str]:
    """bench/ai_standin.py, a hosted provider's stand-in, on the generator's core (its waits are
    the provider's, its CPU is not the platform's) until the block ends: yields its base URL."""
    port = _free_port()
    log = logs / "ai_standin.log"
    command = [
        sys.executable,
        str(PROJECT_DIR / "bench" / "ai_standin.py"),
        *("--port", str(port), "--ttft", str(ttft), "--tokens-per-second", str(tokens_per_second)),
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own command line
            [TASKSET, "-c", str(GENERATOR_CORE), *command],
            cwd=PROJECT_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_log(b"ai stand-in listening", process, log)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        _stop(process)


def new_stream_prefix() -> str:
    return f"studymate-mixed-{secrets.token_hex(4)}:"


# --- CPU and memory -----------------------------------------------------------------------------


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its live descendants."""
    import psutil

    try:
        root = psutil.Process(pid)
        family = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0.0
    total = 0.0
    for process in family:
        with contextlib.suppress(psutil.Error):
            total += sum(process.cpu_times()[:2])
    return total


def vm_rss_mb(pid: int) -> float:
    """VmRSS of one process from /proc, in MB (0 when it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def rss_of_tree(pid: int) -> tuple[float, float]:
    """(RSS summed over the process and its descendants, RSS of its largest child) in MB; the
    largest child is granian's worker (the Django process) or Celery's busiest pool process."""
    import psutil

    try:
        children = psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return 0.0, 0.0
    child_rss = [vm_rss_mb(child.pid) for child in children]
    return vm_rss_mb(pid) + sum(child_rss), max(child_rss, default=0.0)


def least_squares_slope(points: list[tuple[float, float]]) -> float:
    """Slope of y over x by least squares (0 with fewer than two points)."""
    if len(points) < 2:
        return 0.0
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    if spread == 0:
        return 0.0
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread
