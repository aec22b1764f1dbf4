"""Smoke test of a running StudyMate deployment, from outside, against any base URL.

    python scripts/smoke_test.py https://studymate.example.org [--timeout 15]

Checks liveness and readiness, registers a throwaway learner, logs in, creates a subject, logs
study time, lists it back, starts a live session and opens /ws/learning/analytics/ with the
token: the server must send the session's metrics, and metrics for an activity the test sends
(which needs the stream process, or the in-process analyzer). The subject and session are
cleaned up. Prints one line per step; exits 1 at the first failure. Needs httpx and websockets
(requirements-dev.txt).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect


class SmokeFailure(Exception):
    pass


@dataclass
class Learner:
    email: str
    password: str
    access: str = ""
    subject_id: int | None = None
    session_id: str = ""
    headers: dict[str, str] = field(default_factory=dict)


def expect(response: httpx.Response, status: int, what: str) -> Any:
    if response.status_code != status:
        raise SmokeFailure(
            f"{what}: expected {status}, got {response.status_code}: {response.text}"
        )
    return response.json() if response.content else None


def check_health(api: httpx.Client, _learner: Learner) -> str:
    expect(api.get("/health/alive/"), 200, "liveness")
    expect(api.get("/health/ready/"), 200, "readiness")
    return "alive and ready"


def register_and_login(api: httpx.Client, learner: Learner) -> str:
    username = learner.email.split("@")[0].replace("-", "_")
    account = {"email": learner.email, "password": learner.password, "username": username}
    expect(api.post("/api/auth/register/", json=account), 201, "register")
    body = expect(
        api.post("/api/auth/login/", json={"email": learner.email, "password": learner.password}),
        200,
        "login",
    )
    learner.access = body["access"]
    learner.headers = {"Authorization": f"Bearer {learner.access}"}
    return f"registered and logged in as {learner.email}"


def create_subject_and_log_progress(api: httpx.Client, learner: Learner) -> str:
    subject = expect(
        api.post("/api/study/subjects/", json={"name": "Smoke test"}, headers=learner.headers),
        201,
        "create subject",
    )
    learner.subject_id = subject["id"]
    logged = {"subject_id": subject["id"], "minutes": 15}
    expect(api.post("/api/study/progress/", json=logged, headers=learner.headers), 201, "log")
    progress = expect(api.get("/api/study/progress/", headers=learner.headers), 200, "progress")
    rows = progress["results"] if isinstance(progress, dict) else progress
    mine = [row for row in rows if _subject_id(row["subject"]) == subject["id"]]
    if not mine or mine[0]["total_study_minutes"] != 15:
        raise SmokeFailure(f"progress list does not show the 15 logged minutes: {progress}")
    return f"subject {subject['id']} created, 15 minutes logged and listed"


def _subject_id(subject: Any) -> Any:
    return subject["id"] if isinstance(subject, dict) else subject


def live_analytics(api: httpx.Client, learner: Learner, base_url: str, timeout: float) -> str:
    started = expect(
        api.post(
            "/api/study/realtime/learning/start_session/",
            json={"subject_id": learner.subject_id},
            headers=learner.headers,
        ),
        201,
        "start live session",
    )
    learner.session_id = started["session_id"]
    asyncio.run(_exchange_on_socket(base_url, learner, timeout))
    return "WebSocket metrics received for the session and for a sent activity"


async def _exchange_on_socket(base_url: str, learner: Learner, timeout: float) -> None:
    scheme = "wss://" if base_url.startswith("https://") else "ws://"
    url = f"{scheme}{base_url.split('://', 1)[1]}/ws/learning/analytics/?token={learner.access}"
    async with connect(url, origin=base_url, open_timeout=timeout) as socket:  # type: ignore[arg-type]
        await _next_metrics(socket, timeout, lambda event: True)
        ref = secrets.randbelow(10**9)
        activity = {"type": "activity", "session_id": learner.session_id, "event": "focus"}
        await socket.send(json.dumps({**activity, "data": {}, "ref": ref}))
        await _next_metrics(socket, timeout, lambda event: event.get("ref") == ref)


async def _next_metrics(
    socket: ClientConnection, timeout: float, wanted: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            event = json.loads(await asyncio.wait_for(socket.recv(), timeout=left))
        except TimeoutError:
            break
        if event.get("type") == "error":
            raise SmokeFailure(f"the analytics socket answered an error: {event}")
        if event.get("type") == "metrics" and wanted(event):
            return dict(event)
    raise SmokeFailure(f"no expected metrics on the analytics socket within {timeout} s")


def clean_up(api: httpx.Client, learner: Learner) -> None:
    """Best effort: a server that just failed a step may not answer these either."""
    try:
        _end_session_and_delete_subject(api, learner)
    except httpx.HTTPError as failure:
        print(f"warn clean-up: {type(failure).__name__}: {failure}", flush=True)


def _end_session_and_delete_subject(api: httpx.Client, learner: Learner) -> None:
    if learner.session_id:
        api.post(
            "/api/study/realtime/learning/end_session/",
            json={"session_id": learner.session_id},
            headers=learner.headers,
        )
    if learner.subject_id is not None:
        api.delete(f"/api/study/subjects/{learner.subject_id}/", headers=learner.headers)


def run(base_url: str, timeout: float) -> int:
    base_url = base_url.rstrip("/")
    tag = secrets.token_hex(6)
    learner = Learner(email=f"smoke-{tag}@example.com", password=f"Smoke-{secrets.token_hex(8)}!")
    steps: list[tuple[str, Callable[[httpx.Client, Learner], str]]] = [
        ("health", check_health),
        ("account", register_and_login),
        ("study", create_subject_and_log_progress),
        ("realtime", lambda api, who: live_analytics(api, who, base_url, timeout)),
    ]
    headers = {"Accept-Language": "en"}
    with httpx.Client(base_url=base_url, timeout=timeout, headers=headers) as api:
        try:
            for name, step in steps:
                print(f"ok   {name}: {step(api, learner)}", flush=True)
        except (SmokeFailure, httpx.HTTPError, OSError, KeyError, ValueError) as failure:
            print(f"FAIL {name}: {type(failure).__name__}: {failure}", flush=True)
            return 1
        finally:
            clean_up(api, learner)
    print("smoke test passed", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("base_url", help="e.g. https://studymate.example.org")
    parser.add_argument("--timeout", type=float, default=15.0, help="seconds per request/wait")
    arguments = parser.parse_args(argv)
    return run(arguments.base_url, arguments.timeout)


if __name__ == "__main__":
    sys.exit(main())
