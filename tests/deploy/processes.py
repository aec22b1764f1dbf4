"""docker/entrypoint.sh's processes started for real (outside a container), for the deployment
tests: the image's environment, start, readiness and a guaranteed stop."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.e2e.harness import PROJECT_DIR, server_env

ENTRYPOINT = PROJECT_DIR / "docker" / "entrypoint.sh"
# The probes and the tests name studymate-web; 127.0.0.1 is refused like a pod IP would be.
HOSTS = ".studymate.test,studymate-web"


def entrypoint_env(**overrides: str) -> dict[str, str]:
    """The harness's clean environment with this venv first on PATH, as the image has it."""
    env = server_env(**overrides)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    return env


@contextmanager
def entrypoint_process(process: str, log: Path, **env: str) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        child = subprocess.Popen(
            [str(ENTRYPOINT), process],
            env=entrypoint_env(ALLOWED_HOSTS=HOSTS, **env),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            # Its own process group: granian's workers are children of the exec'd main process,
            # and killing only that one would leave them serving.
            start_new_session=True,
        )
    try:
        yield child
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)


def wait_until_ready(child: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and child.poll() is None:
        with contextlib.suppress(httpx.TransportError):
            ready = httpx.get(
                f"http://127.0.0.1:{port}/health/ready/",
                headers={"Host": "studymate-web"},
                timeout=2,
            )
            if ready.status_code == 200:
                return
        time.sleep(0.5)
    pytest.fail(f"{log.name} never became ready:\n{log.read_text()}")
