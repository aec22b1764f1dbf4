"""docker/entrypoint.sh run for real (outside a container): process dispatch, the metrics
directory reset, waiting for the database, migrating at start, serving and a clean SIGTERM."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect
from websockets.typing import Origin

from tests.deploy.postgres import empty_database
from tests.deploy.processes import (
    ENTRYPOINT,
    HOSTS,
    entrypoint_env,
    entrypoint_process,
    wait_until_ready,
)
from tests.deploy.test_management_commands import DEAD_URL, free_port
from tests.e2e.harness import PROJECT_DIR

pytestmark = pytest.mark.e2e


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


def run_healthcheck(port: int, path: str) -> int:
    env = entrypoint_env(PORT=str(port), ALLOWED_HOSTS=HOSTS)
    command = [sys.executable, str(PROJECT_DIR / "docker" / "healthcheck.py"), path]
    return subprocess.run(command, env=env, capture_output=True, check=False).returncode


def test_the_healthcheck_fails_when_nothing_listens() -> None:
    assert run_healthcheck(free_port(), "/health/alive/") == 1


def websocket_close_code(port: int) -> int:
    """Open the analytics socket with a bad token: a server that speaks WebSockets accepts the
    handshake and closes with 4401; one that does not answers the upgrade like any GET."""
    # Connected to loopback, but naming an allowed host (the origin check refuses others).
    url = f"ws://studymate-web:{port}/ws/learning/analytics/?token=not-a-jwt"
    with (
        connect(
            url,
            sock=socket.create_connection(("127.0.0.1", port)),
            origin=Origin("http://studymate-web"),
            open_timeout=10,
        ) as client,
        pytest.raises(ConnectionClosed) as closed,
    ):
        client.recv(timeout=10)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


def test_web_and_ws_serve_and_stop_cleanly_on_sigterm(tmp_path: Path) -> None:
    """`web` (granian, WSGI) migrates and serves HTTP only; `ws` (daphne) serves the sockets;
    SIGTERM lets granian finish a request still waiting on the database before it exits 0."""
    with empty_database("studymate_d1_entry") as url:
        web_port, ws_port = free_port(), free_port()
        web_log, ws_log = tmp_path / "web.log", tmp_path / "ws.log"
        metrics = str(tmp_path / "prometheus")
        with (
            entrypoint_process(
                "web",
                web_log,
                DATABASE_URL=url,
                MIGRATE_ON_START="1",
                PORT=str(web_port),
                PROMETHEUS_MULTIPROC_DIR=metrics,
            ) as web,
        ):
            wait_until_ready(web, web_port, web_log)
            with psycopg.connect(url) as connection:
                row = connection.execute("SELECT count(*) FROM django_migrations").fetchone()
            assert row is not None
            assert row[0] > 10
            assert run_healthcheck(web_port, "/health/ready/") == 0
            assert run_healthcheck(web_port, "/health/nope/") == 1
            refused = httpx.get(f"http://127.0.0.1:{web_port}/health/alive/", timeout=5)
            assert refused.status_code == 400  # why the check names an allowed host

            with entrypoint_process("ws", ws_log, DATABASE_URL=url, PORT=str(ws_port)) as ws:
                wait_until_ready(ws, ws_port, ws_log)
                assert websocket_close_code(ws_port) == 4401
                with pytest.raises(InvalidStatus) as upgrade:
                    websocket_close_code(web_port)
                assert upgrade.value.response.status_code == 404
                ws.send_signal(signal.SIGTERM)  # exec'd: daphne itself gets the signal
                assert ws.wait(timeout=30) == 0, ws_log.read_text()

            assert_sigterm_drains_a_request_in_flight(web, web_port, url)
            assert web.wait(timeout=30) == 0, web_log.read_text()
        text = web_log.read_text()
        assert "migration lock acquired" in text
        assert "database ready after" in text
        assert "migration lock" not in ws_log.read_text()


def assert_sigterm_drains_a_request_in_flight(
    web: subprocess.Popen[bytes], port: int, database_url: str
) -> None:
    """A sign-in blocks on a lock held on the users table; SIGTERM arrives while it waits; the
    lock is released and the request still gets its answer before granian exits."""
    answers: list[httpx.Response] = []
    with psycopg.connect(database_url) as blocker:
        blocker.execute("LOCK TABLE accounts_user IN ACCESS EXCLUSIVE MODE")
        sign_in = threading.Thread(
            target=lambda: answers.append(
                httpx.post(
                    f"http://127.0.0.1:{port}/api/auth/login/",
                    json={"email": "nobody@studymate.test", "password": "wrong-password"},
                    headers={"Host": "studymate-web", "Accept-Language": "en"},
                    timeout=30,
                )
            )
        )
        sign_in.start()
        wait_for_a_lock_waiter(blocker)
        web.send_signal(signal.SIGTERM)
        time.sleep(1)
        assert web.poll() is None  # still draining
        blocker.commit()  # releases the lock
    sign_in.join(timeout=30)
    assert [answer.status_code for answer in answers] == [401]
    assert answers[0].json()["error"]["code"]


def wait_for_a_lock_waiter(connection: psycopg.Connection[Any]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with psycopg.connect(str(connection.info.dsn)) as observer:
            waiting = observer.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND datname = current_database()"
            ).fetchone()
        if waiting and waiting[0]:
            return
        time.sleep(0.2)
    pytest.fail("the sign-in never reached the locked table")
