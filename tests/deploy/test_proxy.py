"""The compose stack's front door for real: docker/nginx.conf in a real nginx, in front of the
entrypoint's `web` (granian) and `ws` (daphne) on a migrated PostgreSQL database. Sockets reach
daphne, everything else granian, and the client IP the app sees is the one nginx appended."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin

from tests.deploy.postgres import empty_database
from tests.deploy.processes import ENTRYPOINT, entrypoint_env, entrypoint_process, wait_until_ready
from tests.deploy.test_management_commands import free_port
from tests.e2e.harness import PROJECT_DIR

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx is not installed"),
]
HOST = "studymate-web"
PASSWORD = "Proxy-test-passw0rd!"


@dataclass(frozen=True)
class Stack:
    proxy_url: str
    proxy_port: int
    web: subprocess.Popen[bytes]

    def client(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.proxy_url, headers={"Host": HOST, "Accept-Language": "en"}, timeout=10
        )


def nginx_config(directory: Path, proxy_port: int, web_port: int, ws_port: int) -> Path:
    """docker/nginx.conf as nginx includes it, with the compose service names pointed here."""
    site = (PROJECT_DIR / "docker" / "nginx.conf").read_text()
    replacements = {
        "server web:8000;": f"server 127.0.0.1:{web_port};",
        "server ws:8000;": f"server 127.0.0.1:{ws_port};",
        "listen 8080;": f"listen 127.0.0.1:{proxy_port};",
    }
    for compose_value, local_value in replacements.items():
        assert compose_value in site
        site = site.replace(compose_value, local_value)
    (directory / "site.conf").write_text(site)
    main = directory / "nginx.conf"
    main.write_text(
        f"daemon off;\nworker_processes 1;\npid {directory}/nginx.pid;\n"
        f"error_log {directory}/error.log warn;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  client_body_temp_path {directory}/body;\n"
        f"  proxy_temp_path {directory}/proxy;\n  fastcgi_temp_path {directory}/fastcgi;\n"
        f"  uwsgi_temp_path {directory}/uwsgi;\n  scgi_temp_path {directory}/scgi;\n"
        f"  include {directory}/site.conf;\n}}\n"
    )
    return main


@contextmanager
def running_nginx(config: Path, port: int) -> Iterator[None]:
    nginx = subprocess.Popen(
        [NGINX, "-c", str(config), "-p", str(config.parent)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 20
        health = f"http://127.0.0.1:{port}/proxy/health/"
        while time.monotonic() < deadline:
            try:
                if httpx.get(health, timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            pytest.fail((config.parent / "error.log").read_text())
        yield
    finally:
        nginx.send_signal(signal.SIGQUIT)  # nginx's graceful stop
        try:
            nginx.wait(timeout=10)
        except subprocess.TimeoutExpired:
            nginx.kill()
            nginx.wait()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    directory = tmp_path_factory.mktemp("proxy")
    web_port, ws_port, proxy_port = free_port(), free_port(), free_port()
    with ExitStack() as stack, empty_database("studymate_d1_proxy") as url:
        migrate = subprocess.run(
            [str(ENTRYPOINT), "migrate"],
            env=entrypoint_env(DATABASE_URL=url),
            capture_output=True,
            check=False,
            timeout=300,
        )
        assert migrate.returncode == 0, migrate.stderr
        env = {"DATABASE_URL": url, "TRUSTED_PROXY_COUNT": "1"}
        web = stack.enter_context(
            entrypoint_process("web", directory / "web.log", PORT=str(web_port), **env)
        )
        ws = stack.enter_context(
            entrypoint_process("ws", directory / "ws.log", PORT=str(ws_port), **env)
        )
        wait_until_ready(web, web_port, directory / "web.log")
        wait_until_ready(ws, ws_port, directory / "ws.log")
        stack.enter_context(
            running_nginx(nginx_config(directory, proxy_port, web_port, ws_port), proxy_port)
        )
        yield Stack(f"http://127.0.0.1:{proxy_port}", proxy_port, web)


def open_socket(stack: Stack, token: str) -> ClientConnection:
    return connect(
        f"ws://{HOST}:{stack.proxy_port}/ws/learning/analytics/?token={token}",
        sock=socket.create_connection(("127.0.0.1", stack.proxy_port)),
        origin=Origin(f"http://{HOST}"),
        open_timeout=10,
    )


def register(client: httpx.Client, tag: str) -> str:
    account = {"email": f"{tag}@studymate.test", "username": tag, "password": PASSWORD}
    registered = client.post("/api/auth/register/", json=account)
    assert registered.status_code == 201, registered.text
    return str(registered.json()["access"])


def assert_socket_stays_open(stack: Stack, token: str) -> None:
    with open_socket(stack, token) as learner, pytest.raises(TimeoutError):
        learner.recv(timeout=0.5)  # accepted and not closed: daphne took it


def test_the_app_sees_the_address_nginx_appended_not_the_spoofed_one(stack: Stack) -> None:
    with stack.client() as client:
        register(client, "proxied-ip")
        spoofed = {"X-Forwarded-For": "203.0.113.9"}
        login = client.post(
            "/api/auth/login/",
            json={"email": "proxied-ip@studymate.test", "password": PASSWORD},
            headers=spoofed,
        )
        assert login.status_code == 200, login.text
        history = client.get(
            "/api/auth/login-history/",
            headers={"Authorization": f"Bearer {login.json()['access']}"},
        )
    assert history.status_code == 200, history.text
    addresses = {entry["ip_address"] for entry in history.json()["results"]}
    assert addresses == {"127.0.0.1"}


def test_sockets_reach_daphne_and_http_reaches_granian(stack: Stack) -> None:
    with stack.client() as client:
        token = register(client, "proxied-socket")
        assert_socket_stays_open(stack, token)
        with open_socket(stack, "not-a-jwt") as stranger, pytest.raises(ConnectionClosed) as closed:
            stranger.recv(timeout=10)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4401

        # Without granian, HTTP fails at the proxy while sockets still open: each went its way.
        stack.web.send_signal(signal.SIGTERM)
        assert stack.web.wait(timeout=30) == 0
        assert client.get("/health/alive/").status_code == 502
    assert_socket_stays_open(stack, token)
