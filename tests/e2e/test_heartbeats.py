"""The real worker, beat and stream processes keep their heartbeat files fresh, and the probe
command of the manifests passes on them; a stopped process's file goes stale."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.kustomize import render
from tests.e2e.harness import running_beat, running_stream_process, running_worker, server_env

pytestmark = pytest.mark.e2e

K8S = Path(__file__).resolve().parents[2] / "k8s"
INTERVAL = 1  # HEARTBEAT_INTERVAL_SECONDS for these processes


def _probe_command(deployment: str, heartbeat: Path) -> list[str]:
    """The manifests' liveness probe of `deployment`, pointed at `heartbeat`."""
    (document,) = [
        doc
        for doc in render(K8S / "overlays" / "prod")
        if doc["kind"] == "Deployment" and doc["metadata"]["name"] == deployment
    ]
    container = document["spec"]["template"]["spec"]["containers"][0]
    path = next(v["value"] for v in container["env"] if v["name"] == "HEARTBEAT_FILE")
    shell, flag, script = container["livenessProbe"]["exec"]["command"]
    return [shell, flag, script.replace(path, str(heartbeat))]


def _mtimes(path: Path, seconds: float) -> list[int]:
    """The file's distinct mtimes (ns) seen while polling it for `seconds`."""
    seen: list[int] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists() and (mtime := path.stat().st_mtime_ns) not in seen:
            seen.append(mtime)
        time.sleep(0.05)
    return seen


Runner = Callable[[dict[str, str]], AbstractContextManager[Any]]


@pytest.mark.parametrize(
    ("deployment", "run"),
    [
        ("studymate-worker", running_worker),
        ("studymate-beat", running_beat),
        ("studymate-stream", running_stream_process),
    ],
)
def test_the_process_refreshes_its_heartbeat(
    e2e_database_url: str, tmp_path: Path, deployment: str, run: Runner
) -> None:
    if not os.environ.get("REDIS_URL", "").strip():
        pytest.skip("worker, beat and stream run on Redis (REDIS_URL)")
    heartbeat = tmp_path / "heartbeat"
    env = server_env(
        DATABASE_URL=e2e_database_url,
        HEARTBEAT_FILE=str(heartbeat),
        HEARTBEAT_INTERVAL_SECONDS=str(INTERVAL),
        STREAM_BLOCK_MS="500",  # idle reads shorter than the interval, as in production (2 s, 10 s)
    )
    probe = _probe_command(deployment, heartbeat)
    assert subprocess.run(probe, capture_output=True, check=False).returncode != 0  # no file yet
    with run(env):
        # Ready means looping: the file moves forward at least once a (1 s) interval.
        seen = _mtimes(heartbeat, 4 * INTERVAL + 0.5)
        assert len(seen) >= 3, seen
        assert seen == sorted(seen)
        assert subprocess.run(probe, capture_output=True, check=False).returncode == 0
    stopped = _mtimes(heartbeat, 2 * INTERVAL + 0.5)
    assert len(stopped) == 1, stopped  # nothing touches it once the process is gone
