"""`manage.py realtime_analytics_management`: the stream process and the operator reports."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path

import pytest
import redis
from django.core.management import CommandError, call_command

from realtime.management.commands.realtime_analytics_management import (
    cache_is_process_local,
    stream_is_process_local,
)
from tests.e2e.harness import MANAGE_PY, PROJECT_DIR, base_env
from tests.realtime.learning_support import start_session


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("realtime_analytics_management", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# The embedded default (no REDIS_URL) keeps the stream and the cache in each process's memory;
# the suite runs both on it and on Redis.
EMBEDDED = stream_is_process_local()


@pytest.mark.django_db
def test_status_reports_the_activity_stream():
    output, note = run("--status")
    status = json.loads(output)  # the caveat goes to stderr: stdout stays JSON
    assert status["stream"] == "learning.activity"
    assert status["analyzer_group"] == "analyzer"
    if EMBEDDED:
        assert status["backend"] == "memory"
        assert note.startswith("Embedded default (no REDIS_URL): the activity stream lives in ")
        assert "this command's own empty stream, not the server's" in note
        assert "GET /api/study/realtime/streaming/status/ (staff)" in note
    else:
        assert status["backend"] == "redis"
        assert note == ""


@pytest.mark.django_db
def test_active_sessions_lists_live_sessions_with_metrics(user):
    session = start_session(user)
    output, note = run("--active-sessions")
    assert output.startswith("1 active learning session(s)")
    assert str(session.pk) in output
    if cache_is_process_local():
        # What this process holds is not the server's: no metrics rather than made-up ones.
        assert "focus=" not in output
        assert "live metrics live in the server process's memory" in note
    else:
        assert "focus=100.0" in output
        assert note == ""


@pytest.mark.django_db
def test_performance_report_prints_the_figures(user):
    start_session(user)
    output, note = run("--performance-report")
    lines = dict(line.split(None, 1) for line in output.strip().splitlines())
    assert lines["active_sessions"] == "1"  # from the database: the real figure either way
    assert {"events_per_second", "lag", "pending", "dead_letters"} <= set(lines)
    if EMBEDDED:
        assert "are this command's own empty process, not the server's" in note
        assert "GET /api/study/realtime/streaming/metrics/ (staff)" in note
    else:
        assert note == ""


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["--status", "--active-sessions", "--performance-report"])
def test_verbosity_zero_prints_nothing(user, action):
    start_session(user)
    assert run(action, "-v", "0") == ("", "")


@pytest.mark.django_db
def test_korean_on_request(user, monkeypatch):
    start_session(user)
    output, note = run("--active-sessions", "--locale", "ko")
    assert output.startswith("진행 중인 학습 세션 1개")
    if EMBEDDED:
        assert note.startswith("내장 기본 구성(REDIS_URL 없음)")
    monkeypatch.setenv("LANGUAGE", "ko")
    assert run("--active-sessions")[0].startswith("진행 중인 학습 세션 1개")


def test_an_action_is_required():
    with pytest.raises(CommandError):
        call_command("realtime_analytics_management")


def _wait_for(log: Path, needle: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if needle in log.read_text(errors="replace"):
            return
        if process.poll() is not None:
            break
        time.sleep(0.1)
    pytest.fail(f"{needle!r} not printed:\n{log.read_text(errors='replace')[-3000:]}")


@pytest.mark.e2e
def test_start_streaming_runs_until_sigterm_and_exits_cleanly(tmp_path):
    env = base_env(STREAM_BLOCK_MS="500")
    if redis_url := os.environ.get("REDIS_URL", "").strip():
        env["REDIS_URL"] = redis_url
        env["STREAM_KEY_PREFIX"] = f"studymate-test-{os.getpid()}:"
    log = tmp_path / "stream.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, str(MANAGE_PY), "realtime_analytics_management", "--start-streaming"],
            cwd=PROJECT_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for(log, "streaming learning.activity as analyzer/", process, timeout=30)
        time.sleep(0.5)
        assert process.poll() is None  # it keeps running
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    _delete_keys(env)
    text = log.read_text(errors="replace")
    assert "stopped after" in text
    assert "processed=0 failed=0 dead_lettered=0" in text
    embedded_note = "Embedded default (no REDIS_URL): this process reads its own in-memory stream"
    assert (embedded_note in text) is ("REDIS_URL" not in env)


def _delete_keys(env: dict[str, str]) -> None:
    """The consumer group it created lives under the test's own stream prefix in Redis."""
    if "REDIS_URL" not in env:
        return
    client = redis.Redis.from_url(env["REDIS_URL"])
    keys = list(client.scan_iter(match=f"{env['STREAM_KEY_PREFIX']}*"))
    if keys:
        client.delete(*keys)
    client.close()
