"""Private services the fault tests may stop: stopping the machine's shared PostgreSQL or Redis
would break every other process using them, so each test starts its own.

The private Redis is tests/platform/cache's `private_redis` fixture; the private PostgreSQL is a
throwaway cluster (initdb into a temporary directory, trust authentication, a loopback port and a
socket directory of its own) run as the `postgres` user, since PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import dataclasses
import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.e2e.harness import run_manage, server_env
from tests.platform.cache.conftest import PrivateRedis, private_redis

__all__ = ["PrivatePostgres", "PrivateRedis", "private_postgres", "private_redis"]

POSTGRES_USER = "postgres"
DATABASE_NAME = "studymate_faults"
START_TIMEOUT = 30
LEARNER_PASSWORD = "Correct-horse-42"


def _postgres_bin_dir() -> Path | None:
    """The newest installed server binaries (Debian puts them outside PATH)."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if candidates:
        return Path(candidates[0]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _as_postgres(command: Sequence[str]) -> list[str]:
    """Root cannot run the server; drop to the postgres user. Others run it as themselves."""
    if os.geteuid() != 0:
        return list(command)
    return ["runuser", "-u", POSTGRES_USER, "--", *command]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclasses.dataclass
class PrivatePostgres:
    bin_dir: Path
    data_dir: Path
    socket_dir: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgres://{POSTGRES_USER}@127.0.0.1:{self.port}/{DATABASE_NAME}"

    def _pg_ctl(self, *args: str) -> None:
        command = [str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), *args]
        result = subprocess.run(
            _as_postgres(command), capture_output=True, text=True, timeout=60, check=False
        )
        assert result.returncode == 0, f"pg_ctl {args[0]} failed:\n{result.stdout}{result.stderr}"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.data_dir.parent / "postgres.log")
        self._pg_ctl("start", "-w", "-t", str(START_TIMEOUT), "-l", log, "-o", options)

    def stop_immediately(self) -> None:
        """The crash-like stop: no checkpoint, open connections cut, recovery on the next start."""
        self._pg_ctl("stop", "-m", "immediate", "-w")

    def stop(self) -> None:
        self._pg_ctl("stop", "-m", "fast", "-w")

    def is_running(self) -> bool:
        return (self.data_dir / "postmaster.pid").exists()

    def connect(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(self.url, autocommit=True, connect_timeout=5)


def _prepare_cluster(bin_dir: Path, root: Path) -> PrivatePostgres:
    data_dir, socket_dir = root / "data", root / "sockets"
    socket_dir.mkdir()
    if os.geteuid() == 0:
        account = pwd.getpwnam(POSTGRES_USER)
        for path in (root, socket_dir):
            os.chown(path, account.pw_uid, account.pw_gid)
    initdb = [str(bin_dir / "initdb"), "-D", str(data_dir), "-U", POSTGRES_USER]
    initdb += ["--auth=trust", "--encoding=UTF8", "--no-sync"]
    result = subprocess.run(
        _as_postgres(initdb), capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, f"initdb failed:\n{result.stdout}{result.stderr}"
    return PrivatePostgres(bin_dir, data_dir, socket_dir, _free_port())


def _skip_reason() -> str | None:
    if _postgres_bin_dir() is None:
        return "the PostgreSQL server binaries (initdb, pg_ctl) are not installed"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(POSTGRES_USER)
        except KeyError:
            return "running as root and there is no `postgres` user to run PostgreSQL as"
        if shutil.which("runuser") is None:
            return "running as root and `runuser` is missing to drop to the postgres user"
    return None


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    """A migrated PostgreSQL of this test's own; the test may stop and start it at will."""
    if reason := _skip_reason():
        pytest.skip(reason)
    bin_dir = _postgres_bin_dir()
    assert bin_dir is not None
    # Not under pytest's tmp_path: its parents are private to root, the postgres user needs access.
    with tempfile.TemporaryDirectory(prefix="studymate-faults-pg-") as tmp:
        root = Path(tmp)
        server = _prepare_cluster(bin_dir, root)
        server.start()
        try:
            with psycopg.connect(
                f"postgres://{POSTGRES_USER}@127.0.0.1:{server.port}/postgres", autocommit=True
            ) as connection:
                connection.execute(f"CREATE DATABASE {DATABASE_NAME}")
            yield server
        finally:
            if server.is_running():
                server.stop()


def migrate(database_url: str, **env: str) -> None:
    result = run_manage("migrate", "--noinput", env=server_env(DATABASE_URL=database_url, **env))
    assert result.returncode == 0, f"migrate failed:\n{result.stdout}\n{result.stderr}"


def wait_for(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    """Polls `condition()` until it is true; fails naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} not within {timeout} s")
        time.sleep(0.2)


def learner_with_subject(api: httpx.Client, name: str) -> tuple[dict[str, str], int]:
    """A new learner (`name` and a random tag) with one subject: their auth headers and the
    subject's id."""
    tag = secrets.token_hex(4)
    account = {"email": f"{name}-{tag}@example.com", "username": f"{name}_{tag}"}
    registered = api.post("/api/auth/register/", json={**account, "password": LEARNER_PASSWORD})
    assert registered.status_code == 201, registered.text
    headers = {"Authorization": f"Bearer {registered.json()['access']}"}
    subject = api.post("/api/study/subjects/", json={"name": "Biology"}, headers=headers)
    assert subject.status_code == 201, subject.text
    return headers, int(subject.json()["id"])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The fault tests start private services of their own, so where they run makes no
    difference: they run once, in the PostgreSQL + Redis run (`.ci/run` runs the suite on the
    embedded default beside it)."""
    if os.environ.get("DATABASE_URL", "").strip():
        return
    skip = pytest.mark.skip(reason="fault tests run in the PostgreSQL + Redis run (DATABASE_URL)")
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(skip)
