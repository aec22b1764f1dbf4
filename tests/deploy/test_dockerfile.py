"""Dockerfile checks: hadolint itself, and the project's rules (slim pinned bases, no build tools
in the final stage, apt hygiene, a non-root user, a health check); the entrypoint is POSIX.
(scripts/container_check.sh --smoke builds and runs the image where a daemon can run.)"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DOCKER = Path(__file__).resolve().parents[2] / "docker"


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n\s*", " ", path.read_text())
    rows = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in rows
        if line and not line.startswith("#")
    ]


def stages(path: Path) -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for row in instructions(path):
        if row[0] == "FROM":
            found.append([])
        if found:
            found[-1].append(row)
    return found


def base_image(path: Path) -> str:
    arguments = dict(
        argument.split("=", 1)
        for name, argument in instructions(path)
        if name == "ARG" and "=" in argument
    )
    return arguments["PYTHON_IMAGE"]


@pytest.mark.parametrize("name", ["Dockerfile", "Dockerfile.dev"])
def test_base_image_is_a_pinned_slim_python(name: str) -> None:
    image = base_image(DOCKER / name)
    assert re.fullmatch(r"python:3\.11\.\d+-slim-\w+", image), image
    for instruction, argument in instructions(DOCKER / name):
        if instruction == "FROM":
            assert argument.split()[0] == "${PYTHON_IMAGE}", argument


@pytest.mark.parametrize("name", ["Dockerfile", "Dockerfile.dev"])
def test_apt_installs_without_recommends_and_cleans_up(name: str) -> None:
    runs = [
        argument for instruction, argument in instructions(DOCKER / name) if instruction == "RUN"
    ]
    installs = [run for run in runs if "apt-get install" in run]
    assert installs
    for run in installs:
        assert "--no-install-recommends" in run, run
        assert "apt-get update" in run, run  # same layer: never a stale package list
        assert "rm -rf /var/lib/apt/lists/*" in run, run


@pytest.mark.parametrize("name", ["Dockerfile", "Dockerfile.dev"])
def test_the_image_runs_as_a_non_root_user(name: str) -> None:
    final = stages(DOCKER / name)[-1]
    users = [argument for instruction, argument in final if instruction == "USER"]
    assert users, name
    assert users[-1].split(":")[0] not in {"root", "0"}
    last_user = max(i for i, (instruction, _) in enumerate(final) if instruction == "USER")
    assert all(instruction != "RUN" for instruction, _ in final[last_user:]), name


def test_production_image_is_multi_stage_without_compilers() -> None:
    builder, final = stages(DOCKER / "Dockerfile")
    assert builder[0][1].endswith("AS builder")
    assert any("pip wheel" in argument for _, argument in builder)
    final_text = " ".join(argument for _, argument in final)
    for tool in ("build-essential", "gcc", "libpq-dev", "-dev "):
        assert tool not in final_text, tool
    installs = [a for i, a in final if i == "RUN" and "--mount=type=bind,from=builder" in a]
    assert len(installs) == 1  # the wheels are mounted, never a layer of the final image
    assert "source=/wheels" in installs[0]
    assert "--no-index" in installs[0]


HADOLINT = Path(sys.executable).parent / "hadolint"
# DL3008 (pin apt package versions): Debian's point releases replace pinned versions, so a pin
# breaks the build instead of making it reproducible; the base images are pinned.
HADOLINT_IGNORED = ["--ignore", "DL3008"]


@pytest.mark.e2e
@pytest.mark.parametrize("name", ["Dockerfile", "Dockerfile.dev"])
def test_hadolint_finds_nothing(name: str) -> None:
    result = subprocess.run(
        [
            str(HADOLINT),
            "--no-color",
            *HADOLINT_IGNORED,
            "--failure-threshold",
            "warning",
            str(DOCKER / name),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.e2e
def test_hadolint_reports_a_bad_dockerfile(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN cd /app && pip install flask\n")
    result = subprocess.run(
        [str(HADOLINT), "--no-color", "--failure-threshold", "warning", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "DL3007" in result.stdout  # the latest tag


def test_production_image_collects_static_files_with_a_build_only_key() -> None:
    final = stages(DOCKER / "Dockerfile")[-1]
    collect = [a for i, a in final if i == "RUN" and "collectstatic" in a]
    assert len(collect) == 1
    assert "SECRET_KEY=collectstatic-build-only" in collect[0]
    assert "DEBUG=false" in collect[0]  # the manifest storage WhiteNoise serves in production
    assert not any(i == "ENV" and "SECRET_KEY" in a for i, a in final)


def test_health_check_entrypoint_and_default_process() -> None:
    final = dict(reversed(stages(DOCKER / "Dockerfile")[-1]))
    assert 'CMD ["python", "docker/healthcheck.py", "/health/alive/"]' in final["HEALTHCHECK"]
    assert "curl" not in final["HEALTHCHECK"]
    assert "python" in final["HEALTHCHECK"]
    assert final["ENTRYPOINT"] == '["docker/entrypoint.sh"]'
    assert final["CMD"] == '["web"]'


def test_secrets_and_local_state_stay_out_of_the_build_context() -> None:
    ignored = (DOCKER / "Dockerfile.dockerignore").read_text().splitlines()
    for entry in (".env", ".venv", ".git", "db.sqlite3*"):
        assert entry in ignored, entry


@pytest.mark.e2e
@pytest.mark.parametrize("shell", ["dash", "sh"])
def test_entrypoint_is_posix_sh(shell: str) -> None:
    path = shutil.which(shell)
    if path is None:
        pytest.skip(f"{shell} not installed")
    script = DOCKER / "entrypoint.sh"
    assert script.read_text().startswith("#!/bin/sh\n")
    assert "set -eu" in script.read_text()
    result = subprocess.run([path, "-n", str(script)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_entrypoint_execs_every_long_running_process() -> None:
    text = (DOCKER / "entrypoint.sh").read_text()
    for process, command in {
        "web": "exec granian --interface wsgi",
        "ws": "exec daphne",
        "worker": "exec celery -A studymate_api worker",
        "beat": "exec celery -A studymate_api beat",
        "stream": "exec python manage.py realtime_analytics_management --start-streaming",
    }.items():
        block = text.split(f"    {process})", 1)[1].split(";;", 1)[0]
        assert command in block, process
    assert "--application-close-timeout" in text
    assert "--workers-kill-timeout" in text
    assert "python manage.py migrate_locked" in text
    assert "python manage.py wait_for_database" in text
