"""scripts/smoke_test.py against a real daphne (the e2e harness), as an operator would run it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.e2e.harness import PROJECT_DIR, running_server, server_env

pytestmark = pytest.mark.e2e
SCRIPT = PROJECT_DIR / "scripts" / "smoke_test.py"


@pytest.fixture(scope="module")
def stack_url(e2e_database_url: str) -> Iterator[str]:
    # One web process and no `stream` process here: the analyzer runs inside daphne.
    env = server_env(DATABASE_URL=e2e_database_url, REALTIME_ANALYZER_IN_PROCESS="true")
    with running_server(env) as base_url:
        yield base_url


def run_smoke(base_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), base_url, "--timeout", "10"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_smoke_test_passes_against_a_healthy_server(stack_url: str) -> None:
    result = run_smoke(stack_url + "/")  # a trailing slash is fine
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert [line.split(":")[0] for line in lines[:4]] == [
        "ok   health",
        "ok   account",
        "ok   study",
        "ok   realtime",
    ]
    assert lines[-1] == "smoke test passed"


def test_the_smoke_test_fails_when_the_database_is_down(dead_database_server_url: str) -> None:
    result = run_smoke(dead_database_server_url)
    assert result.returncode == 1
    assert result.stdout.startswith("FAIL health: SmokeFailure: readiness: expected 200, got 503")


def test_the_smoke_test_fails_when_nothing_listens() -> None:
    result = run_smoke("http://127.0.0.1:1")
    assert result.returncode == 1
    assert result.stdout.startswith("FAIL health: ConnectError")
