"""`manage.py realtime_analytics_management`: the stream process and the operator reports."""

from __future__ import annotations

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

from tests.e2e.harness import MANAGE_PY, PROJECT_DIR, base_env
from tests.realtime.learning_support import start_session


def run_command(*args: str) -> str:
    out = StringIO()
    call_command("realtime_analytics_management", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_status_reports_the_activity_stream():
    output = run_command("--status")
    assert '"stream": "learning.activity"' in output
    assert '"analyzer_group": "analyzer"' in output


@pytest.mark.django_db
def test_active_sessions_lists_live_sessions_with_metrics(user):
    session = start_session(user)
    output = run_command("--active-sessions")
    assert output.startswith("1 active learning session(s)")
    assert str(session.pk) in output
    assert "focus=100.0" in output


@pytest.mark.django_db
def test_performance_report_prints_the_figures(user):
    start_session(user)
    output = run_command("--performance-report")
    lines = dict(line.split(None, 1) for line in output.strip().splitlines())
    assert lines["active_sessions"] == "1"
    assert {"events_per_second", "lag", "pending", "dead_letters"} <= set(lines)


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


def _delete_keys(env: dict[str, str]) -> None:
    """The consumer group it created lives under the test's own stream prefix in Redis."""
    if "REDIS_URL" not in env:
        return
    client = redis.Redis.from_url(env["REDIS_URL"])
    keys = list(client.scan_iter(match=f"{env['STREAM_KEY_PREFIX']}*"))
    if keys:
        client.delete(*keys)
    client.close()
