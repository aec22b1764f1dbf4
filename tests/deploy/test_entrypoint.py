"""docker/entrypoint.sh run for real (outside a container): process dispatch, the metrics
directory reset, waiting for the database, migrating at start, serving and a clean SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.deploy.postgres import empty_database
from tests.deploy.test_management_commands import DEAD_URL, free_port
from tests.e2e.harness import PROJECT_DIR, server_env

pytestmark = pytest.mark.e2e
ENTRYPOINT = PROJECT_DIR / "docker" / "entrypoint.sh"


def entrypoint_env(**overrides: str) -> dict[str, str]:
    """The harness's clean environment with this venv first on PATH, as the image has it."""
    env = server_env(**overrides)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    return env


def test_other_commands_pass_through_after_the_metrics_dir_is_emptied(tmp_path: Path) -> None:
    metrics = tmp_path / "prometheus"
    metrics.mkdir()
    (metrics / "counter_123.db").write_bytes(b"stale")
    result = subprocess.run(
        [str(ENTRYPOINT), "sh", "-c", 'echo "ran in $(pwd)"; ls -A "$PROMETHEUS_MULTIPROC_DIR"'],
        env=entrypoint_env(PROMETHEUS_MULTIPROC_DIR=str(metrics)),
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"ran in {PROJECT_DIR}"  # stale metrics files are gone
    assert metrics.is_dir()


def test_a_failing_command_fails_the_container() -> None:
    result = subprocess.run(
        [str(ENTRYPOINT), "sh", "-c", "exit 7"], env=entrypoint_env(), check=False
    )
    assert result.returncode == 7


def test_nothing_starts_while_the_database_is_unreachable() -> None:
    result = subprocess.run(
        [str(ENTRYPOINT), "migrate"],
        env=entrypoint_env(
            DATABASE_URL=DEAD_URL.format(port=free_port()), WAIT_FOR_DATABASE_TIMEOUT="1"
        ),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 1
    assert "database not reachable" in result.stderr
    assert "migration lock" not in result.stdout


HOSTS = ".studymate.test,studymate-web"


def run_healthcheck(port: int, path: str) -> int:
    env = entrypoint_env(PORT=str(port), ALLOWED_HOSTS=HOSTS)
    command = [sys.executable, str(PROJECT_DIR / "docker" / "healthcheck.py"), path]
    return subprocess.run(command, env=env, capture_output=True, check=False).returncode


def test_the_healthcheck_fails_when_nothing_listens() -> None:
    assert run_healthcheck(free_port(), "/health/alive/") == 1


def test_web_migrates_serves_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    with empty_database("studymate_d1_entry") as url:
        port = free_port()
        log = tmp_path / "web.log"
        with log.open("wb") as out:
            web = subprocess.Popen(
                [str(ENTRYPOINT), "web"],
                env=entrypoint_env(
                    DATABASE_URL=url,
                    MIGRATE_ON_START="1",
                    PORT=str(port),
                    ALLOWED_HOSTS=HOSTS,
                    PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "prometheus"),
                ),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        try:
            deadline = time.monotonic() + 180
            ready = None
            while time.monotonic() < deadline and web.poll() is None:
                try:
                    ready = httpx.get(
                        f"http://127.0.0.1:{port}/health/ready/",
                        headers={"Host": "studymate-web"},
                        timeout=2,
                    )
                    if ready.status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.5)
            assert ready is not None, log.read_text()
            assert ready.status_code == 200, log.read_text()
            with psycopg.connect(url) as connection:
                row = connection.execute("SELECT count(*) FROM django_migrations").fetchone()
            assert row is not None
            assert row[0] > 10
            assert run_healthcheck(port, "/health/ready/") == 0
            assert run_healthcheck(port, "/health/nope/") == 1
            refused = httpx.get(f"http://127.0.0.1:{port}/health/alive/", timeout=5)
            assert refused.status_code == 400  # why the check names an allowed host
            web.send_signal(signal.SIGTERM)  # exec'd: daphne itself gets the signal
            assert web.wait(timeout=30) == 0, log.read_text()
        finally:
            if web.poll() is None:
                web.kill()
                web.wait()
        text = log.read_text()
        assert "migration lock acquired" in text
        assert "database ready after" in text
