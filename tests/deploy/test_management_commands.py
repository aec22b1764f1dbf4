"""`manage.py wait_for_database` and `manage.py migrate_locked`, on real databases."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO
from urllib.parse import urlsplit

import psycopg
import pytest
from django.core.management import call_command

from studymate_api.core.management.commands.migrate_locked import MIGRATION_LOCK_KEY
from tests.deploy.postgres import empty_database, suite_database_url
from tests.e2e.harness import MANAGE_PY, PROJECT_DIR, base_env, run_manage

pytestmark = pytest.mark.e2e

DEAD_URL = "postgres://studymate:d1-wait-secret@127.0.0.1:{port}/studymate"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- wait_for_database ------------------------------------------------------------------------


@pytest.mark.django_db
def test_wait_returns_at_once_when_the_database_answers() -> None:
    out = StringIO()
    call_command("wait_for_database", "--timeout", "0", stdout=out)
    assert "database ready after 1 attempt(s)" in out.getvalue()


def test_wait_gives_up_after_the_timeout_without_leaking_the_url() -> None:
    started = time.monotonic()
    result = run_manage(
        "wait_for_database",
        "--timeout",
        "1.5",
        "--interval",
        "0.5",
        env=base_env(DATABASE_URL=DEAD_URL.format(port=free_port())),
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 1
    assert "database not reachable after" in result.stderr
    attempts = int(result.stderr.split("after ")[1].split(" ")[0])
    assert attempts >= 3  # it retried instead of failing on the first refusal
    assert elapsed < 15
    assert "d1-wait-secret" not in result.stdout + result.stderr


def test_wait_rejects_a_nonsense_interval() -> None:
    result = run_manage("wait_for_database", "--interval", "0", env=base_env())
    assert result.returncode == 1
    assert "--interval" in result.stderr


@contextmanager
def forwarder(listen_port: int, target: tuple[str, int]) -> Iterator[None]:
    """A TCP relay from listen_port to the real server: the database "comes up" when it starts."""
    server = socket.create_server(("127.0.0.1", listen_port))
    server.settimeout(0.2)
    stop = threading.Event()

    def pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            sink.close()

    def accept() -> None:
        while not stop.is_set():
            try:
                client, _ = server.accept()
            except TimeoutError:
                continue
            upstream = socket.create_connection(target)
            for pair in ((client, upstream), (upstream, client)):
                threading.Thread(target=pump, args=pair, daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        server.close()


def test_wait_succeeds_once_the_database_comes_up() -> None:
    # The maintenance database: the suite's own (studymate_<name>) need not exist.
    real = urlsplit(suite_database_url())._replace(path="/postgres")
    port = free_port()
    url = real._replace(netloc=f"{real.netloc.rsplit('@', 1)[0]}@127.0.0.1:{port}").geturl()
    if "@" not in real.netloc:
        url = real._replace(netloc=f"127.0.0.1:{port}").geturl()
    waiting = subprocess.Popen(
        [
            sys.executable,
            str(MANAGE_PY),
            "wait_for_database",
            "--timeout",
            "30",
            "--interval",
            "0.3",
        ],
        cwd=PROJECT_DIR,
        env=base_env(DATABASE_URL=url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert waiting.stdout is not None
        for _ in range(2):  # two refused attempts: nothing listens yet
            assert "not ready yet" in waiting.stdout.readline()
        with forwarder(port, (real.hostname or "127.0.0.1", real.port or 5432)):
            stdout, stderr = waiting.communicate(timeout=30)
    finally:
        if waiting.poll() is None:
            waiting.kill()
            waiting.wait()
    assert waiting.returncode == 0, stderr
    attempts = int(stdout.split("after ")[1].split(" ")[0])
    assert attempts >= 3


# --- migrate_locked ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_migrate_locked_simply_migrates_on_sqlite(settings) -> None:
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("the SQLite branch")
    out = StringIO()
    call_command("migrate_locked", stdout=out)
    assert "lock" not in out.getvalue()  # no advisory lock on SQLite


def start_migrate_locked(url: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(MANAGE_PY), "migrate_locked"],
        cwd=PROJECT_DIR,
        env=base_env(DATABASE_URL=url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def advisory_waiters(url: str) -> int:
    with psycopg.connect(url) as connection:
        row = connection.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        ).fetchone()
    return int(row[0]) if row else 0


def test_concurrent_migrate_locked_runs_one_after_the_other() -> None:
    with empty_database("studymate_d1_migrate") as url:
        with psycopg.connect(url, autocommit=True) as holder:
            holder.execute("SELECT pg_advisory_lock(%s)", [MIGRATION_LOCK_KEY])
            first, second = start_migrate_locked(url), start_migrate_locked(url)
            deadline = time.monotonic() + 30
            while advisory_waiters(url) < 2:
                assert first.poll() is None
                assert second.poll() is None
                assert time.monotonic() < deadline, "the commands never queued on the lock"
                time.sleep(0.2)
            with psycopg.connect(url) as probe:  # nothing migrated while the lock is held
                tables = probe.execute(
                    "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
                ).fetchone()
            assert tables == (0,)
            holder.execute("SELECT pg_advisory_unlock(%s)", [MIGRATION_LOCK_KEY])
        outputs = [process.communicate(timeout=300) for process in (first, second)]
        assert [process.returncode for process in (first, second)] == [0, 0], outputs
        stdouts = [stdout for stdout, _stderr in outputs]
        applied = [out for out in stdouts if "Applying " in out]
        assert len(applied) == 1, stdouts  # the second found nothing left to apply
        assert sum("No migrations to apply" in out for out in stdouts) == 1
        assert all("migration lock released" in out for out in stdouts)
        with psycopg.connect(url) as connection:
            migrated = connection.execute("SELECT count(*) FROM django_migrations").fetchone()
            locks = connection.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
            ).fetchone()
        assert migrated is not None
        assert migrated[0] > 10
        assert locks == (0,)
